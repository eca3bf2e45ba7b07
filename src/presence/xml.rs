//! Streaming XML plumbing shared by the body parsers: size and DTD policy, namespace
//! classification, text decoding and the five predefined entities. There is no DOM: the
//! parsers pull [`Item`]s and keep only what they need.
//!
//! Policy, applied before any caller sees an event:
//! * bodies over [`MAX_BODY_LEN`] are refused;
//! * a `<!DOCTYPE>` with an internal subset is refused ([`BodyError::DoctypeRefused`]); one
//!   without (xpidf's `"xpidf.dtd"`) is skipped and never fetched;
//! * only `&amp; &lt; &gt; &quot; &apos;` and character references are resolved, any other
//!   entity reference is [`BodyError::Malformed`];
//! * a document must have exactly one root element and must be complete (no truncation);
//! * text is UTF-8; a body that declares ISO-8859-1 (chan_sip does) is read as Latin-1 when
//!   it is not valid UTF-8.

use super::error::{BodyError, MAX_BODY_LEN};
use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::borrow::Cow;

/// `urn:ietf:params:xml:ns:pidf` (RFC 3863).
pub(crate) const NS_PIDF: &str = "urn:ietf:params:xml:ns:pidf";
/// The CPIM-PIDF draft namespace, with and without the draft's trailing colon.
const NS_CPIM_PIDF: &str = "urn:ietf:params:xml:ns:cpim-pidf";
const NS_CPIM_PIDF_COLON: &str = "urn:ietf:params:xml:ns:cpim-pidf:";
/// `urn:ietf:params:xml:ns:pidf:data-model` (RFC 4479).
pub(crate) const NS_DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
/// `urn:ietf:params:xml:ns:pidf:rpid` (RFC 4480).
pub(crate) const NS_RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
/// `urn:ietf:params:xml:ns:dialog-info` (RFC 4235).
const NS_DIALOG_INFO: &str = "urn:ietf:params:xml:ns:dialog-info";
/// Lampboard's private namespace for the exact six-state status (see `publish.rs`).
pub(crate) const NS_LAMPBOARD: &str = "urn:x-lampboard:params:xml:ns:presence";
/// `urn:ietf:params:xml:ns:rlmi` (RFC 4662 resource list meta-information).
const NS_RLMI: &str = "urn:ietf:params:xml:ns:rlmi";

/// The namespaces the parsers tell apart; everything else is [`Ns::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace (xpidf, or a document that forgot its `xmlns`).
    None,
    /// RFC 3863 PIDF.
    Pidf,
    /// The pre-RFC CPIM-PIDF namespace (same shape as PIDF).
    CpimPidf,
    /// RFC 4235 dialog-info.
    DialogInfo,
    /// Lampboard's private namespace.
    Lampboard,
    /// RFC 4662 RLMI.
    Rlmi,
    /// Any other bound namespace (data-model, RPID, chan_sip drafts, vendors…).
    Other,
}

impl Ns {
    fn classify(res: &ResolveResult<'_>) -> Ns {
        match res {
            ResolveResult::Bound(ns) => match ns.as_ref() {
                b if b == NS_PIDF.as_bytes() => Ns::Pidf,
                b if b == NS_CPIM_PIDF.as_bytes() || b == NS_CPIM_PIDF_COLON.as_bytes() => Ns::CpimPidf,
                b if b == NS_DIALOG_INFO.as_bytes() => Ns::DialogInfo,
                b if b == NS_LAMPBOARD.as_bytes() => Ns::Lampboard,
                b if b == NS_RLMI.as_bytes() => Ns::Rlmi,
                _ => Ns::Other,
            },
            ResolveResult::Unbound => Ns::None,
            // An undeclared prefix: the element is in no namespace we know.
            ResolveResult::Unknown(_) => Ns::Other,
        }
    }
}

/// One pulled piece of the document.
pub(crate) enum Item<'a> {
    /// An element opens (also for `<empty/>`, which is followed by a synthetic [`Item::End`]).
    /// `depth` is the element's depth: the root is 1.
    Start { ns: Ns, el: BytesStart<'a>, depth: usize },
    /// The element at `depth` closes.
    End { depth: usize },
    /// Character data (entity references already resolved, EOLs normalised to `\n`).
    Text(Cow<'a, str>),
    /// One resolved entity or character reference.
    Char(char),
    /// The document is complete.
    Eof,
}

/// A pull parser over one body, with the policy of this module applied.
pub(crate) struct XmlStream<'a> {
    reader: NsReader<&'a [u8]>,
    depth: usize,
    pending_end: bool,
    root_done: bool,
    latin1: bool,
}

impl<'a> XmlStream<'a> {
    /// Checks the size and emptiness of `body` and prepares the reader.
    pub(crate) fn new(body: &'a [u8]) -> Result<Self, BodyError> {
        Self::with_limit(body, MAX_BODY_LEN)
    }

    /// Like [`XmlStream::new`] with another size limit (RLMI documents of long lists are
    /// allowed past [`MAX_BODY_LEN`]).
    pub(crate) fn with_limit(body: &'a [u8], limit: usize) -> Result<Self, BodyError> {
        if body.len() > limit {
            return Err(BodyError::TooLarge);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(BodyError::Empty);
        }
        let mut reader = NsReader::from_reader(body);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Ok(Self { reader, depth: 0, pending_end: false, root_done: false, latin1: false })
    }

    /// Reads up to the root element: an error when there is none or its local name is not
    /// `local`. Returns the root's namespace and the element (the caller checks the namespace).
    pub(crate) fn root(&mut self, local: &[u8]) -> Result<(Ns, BytesStart<'a>), BodyError> {
        let (ns, el) = loop {
            match self.next_item()? {
                Item::Start { ns, el, .. } => break (ns, el),
                Item::Eof => return Err(BodyError::malformed("no root element")),
                _ => {}
            }
        };
        if el.local_name().as_ref() != local {
            return Err(BodyError::UnexpectedRoot(String::from_utf8_lossy(el.local_name().as_ref()).into_owned()));
        }
        Ok((ns, el))
    }

    /// Pulls the next item. Comments, processing instructions and the XML declaration are
    /// consumed here; so is whitespace outside the root element.
    pub(crate) fn next_item(&mut self) -> Result<Item<'a>, BodyError> {
        if self.pending_end {
            self.pending_end = false;
            return Ok(self.close());
        }
        loop {
            let (res, event) = self.reader.read_resolved_event().map_err(BodyError::malformed)?;
            let ns = Ns::classify(&res);
            match event {
                Event::Start(el) => return self.open(ns, el, false),
                Event::Empty(el) => return self.open(ns, el, true),
                Event::End(_) => {
                    if self.depth == 0 {
                        return Err(BodyError::malformed("unmatched end tag"));
                    }
                    return Ok(self.close());
                }
                Event::Text(text) => {
                    let text = self.decode(text.into_inner())?;
                    if self.depth == 0 {
                        if text.trim().is_empty() {
                            continue;
                        }
                        return Err(BodyError::malformed("text outside the root element"));
                    }
                    return Ok(Item::Text(text));
                }
                Event::CData(data) => {
                    if self.depth == 0 {
                        return Err(BodyError::malformed("CDATA outside the root element"));
                    }
                    return Ok(Item::Text(self.decode(data.into_inner())?));
                }
                Event::GeneralRef(reference) => {
                    if self.depth == 0 {
                        return Err(BodyError::malformed("reference outside the root element"));
                    }
                    let c = match reference.resolve_char_ref().map_err(BodyError::malformed)? {
                        Some(c) => c,
                        None => match &*reference {
                            b"amp" => '&',
                            b"lt" => '<',
                            b"gt" => '>',
                            b"quot" => '"',
                            b"apos" => '\'',
                            _ => return Err(BodyError::malformed("undeclared entity reference")),
                        },
                    };
                    return Ok(Item::Char(c));
                }
                Event::DocType(doctype) => {
                    if doctype.contains(&b'[') {
                        return Err(BodyError::DoctypeRefused);
                    }
                }
                Event::Decl(decl) => {
                    if let Some(Ok(enc)) = decl.encoding() {
                        let enc = enc.as_ref();
                        self.latin1 = enc.eq_ignore_ascii_case(b"iso-8859-1")
                            || enc.eq_ignore_ascii_case(b"latin1")
                            || enc.eq_ignore_ascii_case(b"iso_8859-1");
                    }
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => {
                    if self.depth != 0 || !self.root_done {
                        return Err(BodyError::malformed("truncated document"));
                    }
                    return Ok(Item::Eof);
                }
            }
        }
    }

    fn open(&mut self, ns: Ns, el: BytesStart<'a>, empty: bool) -> Result<Item<'a>, BodyError> {
        if self.root_done {
            return Err(BodyError::malformed("a second root element"));
        }
        self.depth += 1;
        self.pending_end = empty;
        Ok(Item::Start { ns, el, depth: self.depth })
    }

    fn close(&mut self) -> Item<'a> {
        let depth = self.depth;
        self.depth -= 1;
        if self.depth == 0 {
            self.root_done = true;
        }
        Item::End { depth }
    }

    /// Decodes character data: UTF-8 (Latin-1 when declared and needed), CR/CRLF → LF.
    fn decode(&self, raw: Cow<'a, [u8]>) -> Result<Cow<'a, str>, BodyError> {
        let text: Cow<'a, str> = match raw {
            Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(self.fallback(bytes)?),
            },
            Cow::Owned(bytes) => match String::from_utf8(bytes) {
                Ok(s) => Cow::Owned(s),
                Err(e) => Cow::Owned(self.fallback(e.as_bytes())?),
            },
        };
        if text.contains('\r') { Ok(Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))) } else { Ok(text) }
    }

    fn fallback(&self, bytes: &[u8]) -> Result<String, BodyError> {
        if self.latin1 {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        } else {
            Err(BodyError::malformed("text is not UTF-8"))
        }
    }

    /// The unprefixed attribute `name` of `el`, decoded and unescaped.
    pub(crate) fn attr<'x>(&self, el: &'x BytesStart<'_>, name: &[u8]) -> Result<Option<Cow<'x, str>>, BodyError> {
        // Without duplicate checks the scan does not allocate; a duplicated attribute
        // (malformed, harmless here) resolves to its first occurrence.
        for attr in el.attributes().with_checks(false) {
            let attr = attr.map_err(BodyError::malformed)?;
            if attr.key.as_ref() != name {
                continue;
            }
            let value: Cow<'x, str> = match attr.value {
                Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
                    Ok(s) => unescape(s).map_err(BodyError::malformed)?,
                    Err(_) => Cow::Owned(self.unescape_owned(&self.fallback(bytes)?)?),
                },
                Cow::Owned(bytes) => {
                    let s = match String::from_utf8(bytes) {
                        Ok(s) => s,
                        Err(e) => self.fallback(e.as_bytes())?,
                    };
                    Cow::Owned(self.unescape_owned(&s)?)
                }
            };
            return Ok(Some(value));
        }
        Ok(None)
    }

    /// Like [`XmlStream::attr`], owned.
    pub(crate) fn attr_string(&self, el: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, BodyError> {
        Ok(self.attr(el, name)?.map(Cow::into_owned))
    }

    fn unescape_owned(&self, s: &str) -> Result<String, BodyError> {
        Ok(unescape(s).map_err(BodyError::malformed)?.into_owned())
    }
}

/// Appends a text item to `buf`.
pub(crate) fn push_text(buf: &mut String, item: &Item<'_>) {
    match item {
        Item::Text(t) => buf.push_str(t),
        Item::Char(c) => buf.push(*c),
        _ => {}
    }
}

/// True when `text` equals `phrase` ignoring ASCII case, surrounding whitespace, runs of
/// inner whitespace and trailing `.`/`!` ("On the  phone." matches "on the phone").
pub(crate) fn phrase_eq(text: &str, phrase: &str) -> bool {
    let text = text.trim().trim_end_matches(['.', '!']);
    let mut a = text.split_whitespace();
    let mut b = phrase.split_whitespace();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(body: &str) -> Result<String, BodyError> {
        let mut x = XmlStream::new(body.as_bytes())?;
        let mut out = String::new();
        loop {
            let item = x.next_item()?;
            match &item {
                Item::Eof => return Ok(out),
                Item::Start { el, .. } => {
                    out.push('<');
                    out.push_str(std::str::from_utf8(el.local_name().as_ref()).unwrap_or("?"));
                    out.push('>');
                }
                Item::End { .. } => out.push('/'),
                _ => push_text(&mut out, &item),
            }
        }
    }

    #[test]
    fn entities_and_char_refs_resolve() {
        assert_eq!(drain("<a>x &amp; y&#10;&#x41;</a>").unwrap(), "<a>x & y\nA/");
    }

    #[test]
    fn undeclared_entity_is_malformed() {
        assert!(matches!(drain("<a>&lol;</a>"), Err(BodyError::Malformed(_))));
    }

    #[test]
    fn internal_subset_is_refused_external_id_is_not() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>";
        assert_eq!(drain(bomb), Err(BodyError::DoctypeRefused));
        let xpidf = "<?xml version=\"1.0\"?><!DOCTYPE presence PUBLIC \"-//IETF//DTD RFCxxxx XPIDF 1.0//EN\" \"xpidf.dtd\"><presence/>";
        assert_eq!(drain(xpidf).unwrap(), "<presence>/");
    }

    #[test]
    fn truncation_and_second_root_are_malformed() {
        assert!(matches!(drain("<a><b>"), Err(BodyError::Malformed(_))));
        assert!(matches!(drain("<a/><b/>"), Err(BodyError::Malformed(_))));
        assert!(matches!(drain("junk<a/>"), Err(BodyError::Malformed(_))));
        assert_eq!(drain("  \n"), Err(BodyError::Empty));
    }

    #[test]
    fn latin1_declared_body_is_read() {
        let body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        let mut x = XmlStream::new(body).unwrap();
        let mut text = String::new();
        loop {
            match x.next_item().unwrap() {
                Item::Eof => break,
                item => push_text(&mut text, &item),
            }
        }
        assert_eq!(text, "café");
    }

    #[test]
    fn phrases_compare_loosely() {
        assert!(phrase_eq("  On the   Phone. ", "on the phone"));
        assert!(phrase_eq("DND!", "dnd"));
        assert!(!phrase_eq("not available", "available"));
    }
}
