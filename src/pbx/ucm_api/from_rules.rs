//! Lampboard's forwarding rules as the UCM's account fields, so the PBX enforces them while
//! Lampboard is closed: the status, the custom text, the whole per-status forwarding list
//! (the UCM has no `dnd` entry: DND ignores forwarding), DND with its time type, and both
//! whitelists.

use super::{UcmAccountSettings, UcmForward, UcmPresenceStatus, UcmStatusForwarding, UcmTimeType};
use crate::forwarding::{Rules, StatusKind, StatusRules, Target, TimeCondition};

fn time_type(t: &TimeCondition) -> UcmTimeType {
    UcmTimeType::from_code(u64::from(t.ucm_timetype())).unwrap_or(UcmTimeType::AllTime)
}

/// A target the UCM can reach by itself (an extension: digits only) or an external number.
fn forward(target: &Option<Target>, time: &TimeCondition) -> UcmForward {
    match target {
        Some(t) => {
            let s = t.as_str();
            let local = s.len() <= 6 && s.chars().all(|c| c.is_ascii_digit());
            UcmForward::to(s, time_type(time), local)
        }
        None => UcmForward::off(),
    }
}

fn entry(status: UcmPresenceStatus, r: &StatusRules) -> UcmStatusForwarding {
    UcmStatusForwarding {
        presence_status: status,
        cfu: forward(&r.cfu, &r.cfu_time),
        cfn: forward(&r.cfna, &r.cfna_time),
        cfb: forward(&r.cfb, &r.cfb_time),
    }
}

/// The UCM account fields for `rules` (everything Lampboard enforces locally).
pub fn settings_from_rules(rules: &Rules) -> UcmAccountSettings {
    let status = match rules.status {
        StatusKind::Available => UcmPresenceStatus::Available,
        StatusKind::Away => UcmPresenceStatus::Away,
        StatusKind::Chat => UcmPresenceStatus::Chat,
        StatusKind::Dnd => UcmPresenceStatus::Dnd,
        StatusKind::Unavailable => UcmPresenceStatus::Unavailable,
        StatusKind::Custom => UcmPresenceStatus::Userdef,
    };
    let p = &rules.per_status;
    let mut s = UcmAccountSettings::new();
    s.presence_status = Some(status);
    s.presence_def_script = Some(rules.custom_text.clone());
    s.presence_settings = Some(vec![
        entry(UcmPresenceStatus::Available, &p.available),
        entry(UcmPresenceStatus::Away, &p.away),
        entry(UcmPresenceStatus::Chat, &p.chat),
        entry(UcmPresenceStatus::Userdef, &p.custom),
        entry(UcmPresenceStatus::Unavailable, &p.unavailable),
    ]);
    s.dnd = Some(rules.dnd || rules.status == StatusKind::Dnd);
    s.dnd_timetype = Some(time_type(&rules.dnd_time));
    s.dnd_whitelist = Some(rules.dnd_whitelist.iter().map(|p| p.as_str().to_string()).collect());
    s.fwd_whitelist = Some(rules.fwd_whitelist.iter().map(|p| p.as_str().to_string()).collect());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forwarding::file::parse;

    #[test]
    fn rules_become_the_ucm_fields() {
        let rules = parse(
            "status = \"away\"\nfwd_whitelist = [\"_10XX\"]\noffice_hours = [\"mon-fri 08:00-17:00\"]\n\
             [per_status.away]\ncfu = \"2000\"\ncfu_time = \"out-of-office\"\ncfb = \"+4930123\"\n",
        )
        .expect("valid rules");
        let s = settings_from_rules(&rules);
        assert_eq!(s.presence_status, Some(UcmPresenceStatus::Away));
        let list = s.presence_settings.as_ref().unwrap();
        assert_eq!(list.len(), 5, "one entry per status but dnd");
        let away = list.iter().find(|e| e.presence_status == UcmPresenceStatus::Away).unwrap();
        assert_eq!(away.cfu.target, "2000");
        assert_eq!(away.cfu.time_type, UcmTimeType::OutOfOfficeTime);
        assert_eq!(away.cfb.target, "+4930123");
        assert!(away.cfn.is_off());
        assert_eq!(s.fwd_whitelist.as_deref(), Some(&["_10XX".to_string()][..]));
        assert_eq!(s.dnd, Some(false));
        let fields = s.to_update_fields(super::super::PresenceListField::SipPresenceSettings).unwrap();
        assert_eq!(fields["presence_status"], "away");
    }
}
