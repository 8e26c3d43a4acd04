//! Reading the children of a buffered element straight from the current chunk of the source.
//!
//! The streaming walk copies each statement child (`Ntry`, `Bal`, …) into [`Subtree`] event by
//! event through the buffered parser. When whole child elements already lie in the chunk the
//! counting reader holds, [`take_children`] reads them straight from that slice instead (no
//! per-event copy, no per-event position bookkeeping), records the same tokens,
//! marks and bytes the buffered walk would have recorded, and says how many bytes it used; the
//! caller consumes them and the buffered walk carries on from there (the element's last end
//! tag, and whatever did not fit in the chunk).
//!
//! It only ever stops between two direct children of the element (or just before its end tag),
//! so the buffered parser's own nesting check stays in step, and it leaves to the buffered walk
//! everything that walk treats specially: comments, CDATA, processing instructions, a
//! `DOCTYPE`, an event cut off by the end of the chunk, a syntax error, and the nesting and
//! size limits. Whatever it stops at is read by the buffered walk as if this module did not
//! exist, so results and errors are the same either way (the tests read every sample through
//! chunks of every size to hold it to that).
//!
//! The events are cut by a small tokenizer ([`token`]) that splits markup and text exactly as
//! quick-xml's reader does and gives up wherever that reader would do anything more (a
//! comment, an error, …). quick-xml's own slice reader did this job before; the tokenizer does
//! it with no allocation per element (the reader keeps a stack of open names that a new reader
//! per entry allocated anew) and about half the instructions.

use super::convert::Subtree;
use super::source::{Pos, Window};
use super::Limits;

/// Reads as many whole children of the element being collected (its start tag already in
/// `tree`, `depth` elements open around it in the skeleton) as the window holds, appends them
/// to `tree`, and returns the number of bytes of `w.rest` they took (0: nothing taken).
pub(crate) fn take_children(
    w: &Window<'_>,
    tree: &mut Subtree,
    limits: &Limits,
    depth: usize,
) -> usize {
    let rest = w.rest;
    // quick-xml would drop a byte-order mark at the very start of its input; a non-ASCII byte
    // first is left to the buffered walk (it is never so in practice).
    if rest.first().is_none_or(|&b| b >= 0x80) {
        return 0;
    }
    let origin = tree.xml.len();
    let tape_origin = tree.tape.len();
    let marks_origin = tree.marks.len();
    // The last point everything before which may be handed over: (bytes of `rest`, tape
    // length, marks length).
    let mut safe = (0usize, tape_origin, marks_origin);
    // Names of the open elements below the collected one, as ranges of `rest`, for the end
    // tag check quick-xml makes (`check_end_names`).
    let mut names = [(0usize, 0usize); MAX_OPEN];
    let mut open = 0usize;
    let mut after_text = false;
    // Line bookkeeping for the marks: newlines of `rest` passed so far.
    let mut next_newline = 0usize;
    let mut line = w.at.line;
    let mut line_start = w.at.byte + 1 - w.at.column;
    let mut at = 0usize;
    loop {
        // Offsets in `rest`: where the event starts (for markup, its `<`) and where it ends
        // (for text, at the `<` that ends it).
        let before = at;
        let Some(token) = token(rest, at) else {
            break;
        };
        let after = match token {
            Token::Text { end } | Token::Start { end, .. } | Token::End { end, .. } => end,
        };
        // The buffered walk refuses an element larger than the limit after any event.
        if origin + after > limits.max_element_bytes {
            break;
        }
        match token {
            Token::Start {
                content,
                name_len,
                empty,
                ..
            } => {
                if !empty && (depth + open + 2 > limits.max_depth || open == MAX_OPEN) {
                    break;
                }
                // The position the buffered walk would have taken: after text, its reader
                // has already consumed the `<`.
                let pos_at = before + usize::from(after_text);
                while let Some(&nl) = w.newlines.get(next_newline) {
                    let nl = nl as usize - w.offset;
                    if nl >= pos_at {
                        break;
                    }
                    next_newline += 1;
                    line += 1;
                    line_start = w.at.byte + nl as u64 + 1;
                }
                let byte = w.at.byte + pos_at as u64;
                let pos = Pos {
                    byte,
                    line,
                    column: byte - line_start + 1,
                };
                tree.record_start_in_place(origin + before, content, name_len, empty, pos);
                after_text = false;
                if !empty {
                    names[open] = (before + 1, before + 1 + name_len);
                    open += 1;
                }
            }
            Token::End { name, .. } => {
                // Never the element's own end tag: the loop stops before that one. A name
                // that does not match is quick-xml's error, left to the buffered walk.
                let Some(still_open) = open.checked_sub(1) else {
                    break;
                };
                let (from, to) = names[still_open];
                if !same_name(&rest[from..to], &rest[name.0..name.1]) {
                    break;
                }
                tree.record_end_in_place();
                after_text = false;
                open = still_open;
            }
            Token::Text { .. } => {
                tree.record_text_in_place(origin + before, after - before);
                after_text = true;
            }
        }
        at = after;
        if open > 0 {
            continue;
        }
        let next = &rest[after..];
        if after_text {
            // A text between children ends at a place to stop only when the element's end tag
            // follows: the buffered walk would count the next start tag from after the `<`,
            // which the text read consumes, while an end tag's position is never recorded.
            if next.starts_with(b"</") {
                safe = (after, tree.tape.len(), tree.marks.len());
                break;
            }
        } else {
            safe = (after, tree.tape.len(), tree.marks.len());
            if next.starts_with(b"</") {
                break;
            }
        }
    }
    let (used, tape, marks) = safe;
    tree.tape.truncate(tape);
    tree.marks.truncate(marks);
    tree.xml.extend_from_slice(&rest[..used]);
    used
}

/// Reads a whole `Ntry` element (any prefix) from the start of the window at the statement
/// level, after the text that may precede it, into `tree` exactly as the streaming walk would
/// buffer it (start tag, children through [`take_children`], end tag), with `depth` skeleton
/// elements open around it. Gives the bytes of `w.rest` it took, or `None` (having consumed
/// nothing, and leaving `tree` to be cleared) when the element does not lie whole in the
/// window or holds anything the buffered walk must read; the walk then reads it as before.
///
/// Only to be called where the buffered parser stands between two events with nothing of the
/// next one consumed: not right after a text event, whose read takes the `<` that ends it.
pub(crate) fn take_entry(
    w: &Window<'_>,
    tree: &mut Subtree,
    limits: &Limits,
    depth: usize,
) -> Option<usize> {
    let rest = w.rest;
    if rest.first().is_none_or(|&b| b >= 0x80) {
        return None;
    }
    // Text between statement children is ignored by the walk; the start tag after it is
    // placed, as the walk places it, after its `<` (which the text read consumed).
    let (at, after_text) = match token(rest, 0)? {
        Token::Text { end } => (end, true),
        _ => (0, false),
    };
    let Token::Start {
        content,
        name_len,
        empty: false,
        end: start_end,
    } = token(rest, at)?
    else {
        return None;
    };
    let name = &rest[at + 1..at + 1 + name_len];
    // quick-xml's local name: what follows the first colon.
    let local = memchr::memchr(b':', name).map_or(name, |i| &name[i + 1..]);
    if local != b"Ntry" || start_end - at > limits.max_element_bytes {
        return None;
    }
    let start = pos_at(w, at + usize::from(after_text));
    tree.clear();
    tree.start = start;
    tree.xml.extend_from_slice(&rest[at..start_end]);
    tree.record_start_in_place(0, content, name_len, false, start);
    let inner = Window {
        rest: &rest[start_end..],
        at: pos_at(w, start_end),
        offset: w.offset + start_end,
        newlines: &w.newlines[w
            .newlines
            .partition_point(|&nl| (nl as usize) < w.offset + start_end)..],
    };
    let children_end = start_end + take_children(&inner, tree, limits, depth);
    let Token::End { name: close, end } = token(rest, children_end)? else {
        return None;
    };
    if !same_name(name, &rest[close.0..close.1])
        || tree.xml.len() + (end - children_end) > limits.max_element_bytes
    {
        return None;
    }
    tree.xml.extend_from_slice(&rest[children_end..end]);
    tree.record_end_in_place();
    Some(end)
}

/// The source position of offset `k` of the window.
fn pos_at(w: &Window<'_>, k: usize) -> Pos {
    let passed = w
        .newlines
        .partition_point(|&nl| (nl as usize) < w.offset + k);
    let byte = w.at.byte + k as u64;
    let (line, line_start) = match passed.checked_sub(1) {
        Some(last) => (
            w.at.line + passed as u64,
            w.at.byte + (w.newlines[last] as usize - w.offset) as u64 + 1,
        ),
        None => (w.at.line, w.at.byte + 1 - w.at.column),
    };
    Pos {
        byte,
        line,
        column: byte - line_start + 1,
    }
}

/// Deepest nesting below the collected element read in place (deeper is left to the buffered
/// walk); camt entries nest about ten deep.
const MAX_OPEN: usize = 32;

/// One XML event as quick-xml's reader would give it; offsets are into the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Text up to the next `<` (at `end`).
    Text { end: usize },
    /// A start tag or an empty element: `content` bytes between `<` and `>` (without an empty
    /// element's `/`), of which `name_len` are the name; `end` is just past the `>`.
    Start {
        content: usize,
        name_len: usize,
        empty: bool,
        end: usize,
    },
    /// An end tag; `name` is the range of its name (trailing blanks dropped).
    End { name: (usize, usize), end: usize },
}

/// The event at `at` of `rest`, read the way quick-xml's reader (`trim_text(false)`, no
/// expansion of empty elements) reads it; `None` at the end of the window and wherever this
/// reader gives up: comments, CDATA, processing instructions, a `DOCTYPE`, markup cut off by
/// the end of the window, and whatever quick-xml would read differently or refuse (an end tag
/// with quotes, an empty name). What is refused here is read by the buffered walk.
#[inline(always)]
fn token(rest: &[u8], at: usize) -> Option<Token> {
    let tail = rest.get(at..).filter(|t| !t.is_empty())?;
    if tail[0] != b'<' {
        let len = find_lt(tail)?;
        return Some(Token::Text { end: at + len });
    }
    // Tags are short: plain loops over their bytes beat `memchr` calls here.
    match *tail.get(1)? {
        b'!' | b'?' => None,
        b'/' => {
            let body = &tail[2..];
            // The usual `</Name>`: no blank, no quote before the `>`.
            if let Some(close) = plain_run(body) {
                if close == 0 {
                    return None;
                }
                return Some(Token::End {
                    name: (at + 2, at + 2 + close),
                    end: at + 2 + close + 1,
                });
            }
            // One past the last non-blank byte before the `>`: quick-xml drops trailing
            // blanks from an end tag's name. Quotes make it read attributes: left to it.
            let mut name_end = 0;
            let mut i = 0;
            let close = loop {
                match *body.get(i)? {
                    b'>' => break i,
                    b'"' | b'\'' => return None,
                    b if is_xml_space(b) => {}
                    _ => name_end = i + 1,
                }
                i += 1;
            };
            if name_end == 0 {
                return None;
            }
            Some(Token::End {
                name: (at + 2, at + 2 + name_end),
                end: at + 2 + close + 1,
            })
        }
        _ => {
            let body = &tail[1..];
            // The usual `<Name>` or `<Name/>`: no attribute, no blank.
            if let Some(close) = plain_run(body) {
                let (name_len, empty) = match body[..close].strip_suffix(b"/") {
                    Some(c) => (c.len(), true),
                    None => (close, false),
                };
                if name_len == 0 {
                    return None;
                }
                return Some(Token::Start {
                    content: name_len,
                    name_len,
                    empty,
                    end: at + close + 2,
                });
            }
            // The `>` that ends the tag is the first one outside quoted attribute values; the
            // name ends at the first blank (a quote before any blank is left to quick-xml).
            let mut first_blank = None;
            let mut i = 0;
            let close = loop {
                match *body.get(i)? {
                    b'>' => break i,
                    q @ (b'"' | b'\'') => {
                        first_blank?;
                        i += 1 + memchr::memchr(q, body.get(i + 1..)?)?;
                    }
                    b if is_xml_space(b) && first_blank.is_none() => first_blank = Some(i),
                    _ => {}
                }
                i += 1;
            };
            let content = &body[..close];
            let (content, empty) = match content.strip_suffix(b"/") {
                Some(c) => (c, true),
                None => (content, false),
            };
            let name_len = first_blank.unwrap_or(content.len());
            if name_len == 0 {
                return None;
            }
            Some(Token::Start {
                content: content.len(),
                name_len,
                empty,
                end: at + close + 2,
            })
        }
    }
}

/// Eight bytes at once, each repeated: `splat(b'>')`.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// A flag (the top bit) on every byte of `w` equal to `b`, exact up to and including the
/// first such byte (the flags above it may be false): `w` is read little-endian, so the first
/// flag is at `trailing_zeros() / 8`.
#[inline(always)]
fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ splat(b);
    x.wrapping_sub(splat(1)) & !x & splat(0x80)
}

/// The offset of the first `>` in `body` when no byte before it is a blank, a quote or any
/// other byte below `(` (the tokenizer's plain tag); `None` otherwise, and when none of those
/// comes within the whole words of `body`: the tag loop then reads it.
#[inline(always)]
fn plain_run(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = body.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        // Bytes below `(` (blanks, quotes, `!`…`&`), exact as `bytes_equal` is.
        let below = w.wrapping_sub(splat(b'(')) & !w & splat(0x80);
        let stop = below | bytes_equal(w, b'>');
        if stop != 0 {
            let k = i + (stop.trailing_zeros() / 8) as usize;
            return (body[k] == b'>').then_some(k);
        }
        i += 8;
    }
    None
}

/// The offset of the first `<` in `text`: a word at a time over the first bytes (texts are
/// short), `memchr` beyond.
#[inline(always)]
fn find_lt(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = text.get(i..i + 8).filter(|_| i < 32) {
        let stop = bytes_equal(u64::from_le_bytes(word.try_into().ok()?), b'<');
        if stop != 0 {
            return Some(i + (stop.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr(b'<', &text[i..]).map(|k| i + k)
}

/// Byte-wise equality of two short names (a `memcmp` call costs more than the comparison).
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `take_children` over `content` (what follows `<Ntry>` on the first line of a file):
    /// the bytes it used and the tree it left.
    fn take(content: &str, limits: Limits) -> (usize, Subtree) {
        let mut tree = Subtree::default();
        let start = quick_xml::events::BytesStart::new("Ntry");
        tree.record_start(&start, false, Pos::default());
        let newlines: Vec<u32> = memchr::memchr_iter(b'\n', content.as_bytes())
            .map(|i| i as u32 + 6)
            .collect();
        let mut chunk = b"<Ntry>".to_vec();
        chunk.extend_from_slice(content.as_bytes());
        let w = Window {
            rest: &chunk[6..],
            at: Pos {
                byte: 6,
                line: 1,
                column: 7,
            },
            offset: 6,
            newlines: &newlines,
        };
        let used = take_children(&w, &mut tree, &limits, 3);
        (used, tree)
    }

    #[test]
    fn takes_every_child_up_to_the_end_tag() {
        let content =
            "<NtryRef>1</NtryRef>\n <Amt Ccy=\"IDR\">5.00</Amt><AddtlNtryInf/>\n</Ntry>\n";
        let (used, tree) = take(content, Limits::default());
        assert_eq!(&content[used..], "</Ntry>\n");
        assert_eq!(tree.xml, format!("<Ntry>{}", &content[..used]).into_bytes());
        // Start tags: `Ntry`, `NtryRef`, `Amt`, `AddtlNtryInf`; `Amt` follows text, so its
        // position is counted from after its `<`, as the buffered walk counts it.
        let lines: Vec<(u64, u64)> = tree.marks.iter().map(|m| (m.1.line, m.1.column)).collect();
        assert_eq!(lines, [(0, 0), (1, 7), (2, 3), (2, 27)]);
        // With the end tag the buffered walk adds, the hand-written builder reads it.
        let mut tree = tree;
        tree.record_end(b"Ntry");
        assert!(super::super::fast::entry(&tree).is_some());
        // Text before a start tag is no place to stop, the start tag after it is.
        let content = "<A/>text<B/></Ntry>";
        assert_eq!(take(content, Limits::default()).0, content.len() - 7);
    }

    /// quick-xml's events over `xml`, each as the token `token` must give for it.
    fn quick_xml_tokens(xml: &str) -> Vec<Token> {
        use quick_xml::events::Event;
        let mut r = quick_xml::Reader::from_str(xml);
        let config = r.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = false;
        let mut out = Vec::new();
        loop {
            let before = r.buffer_position() as usize;
            let event = match r.read_event() {
                Ok(Event::Eof) | Err(_) => return out,
                Ok(e) => e,
            };
            let end = r.buffer_position() as usize;
            out.push(match event {
                Event::Start(s) | Event::Empty(s) => Token::Start {
                    content: s.len(),
                    name_len: s.name().as_ref().len(),
                    empty: matches!(xml.as_bytes()[end - 2], b'/'),
                    end,
                },
                Event::End(e) => Token::End {
                    name: (before + 2, before + 2 + e.name().as_ref().len()),
                    end,
                },
                Event::Text(_) => Token::Text { end },
                _ => return out,
            });
        }
    }

    #[test]
    fn word_scans_agree_with_byte_scans() {
        let samples: [&[u8]; 9] = [
            b"NtryRef>1</NtryRef>",
            b"Amt Ccy=\"IDR\">",
            b"a/>........",
            b"LongElementName>",
            b"\xc3\xa9l\xc3\xa9ment>rest of it",
            b"x\ty>........",
            b"Nm>A &amp; B</Nm>",
            b"short>",
            b"no end at all here....",
        ];
        for s in samples {
            for from in 0..s.len() {
                let body = &s[from..];
                let first = body.iter().position(|&b| b < b'(' || b == b'>');
                // Only whole words are looked at.
                let expected = first.filter(|&k| body[k] == b'>' && k < body.len() / 8 * 8);
                assert_eq!(
                    plain_run(body),
                    expected,
                    "{:?}",
                    String::from_utf8_lossy(body)
                );
                assert_eq!(find_lt(body), memchr::memchr(b'<', body));
            }
        }
    }

    #[test]
    fn tokens_are_cut_as_quick_xml_cuts_them() {
        for xml in [
            "<a>text</a>",
            r#"<Amt Ccy="IDR">1.00</Amt>"#,
            r#"<a b="x>y" c='p>"q'>t</a >"#,
            "<a/><b />",
            r#"<a b="/"/>"#,
            "<a/ >x</a/ >",
            "<c:Ntry xmlns:c='u'>\n\t<c:Amt>5</c:Amt>\n</c:Ntry>",
            "<a>1 &gt; 0 &amp; > </a>",
            "<a\tb='1'\n/>",
            "<Document><BkToCstmrStmt><Ntry/></BkToCstmrStmt></Document>",
            "<a>\u{e9}t\u{e9} &lt;</a><LongerElementName/><x:Y>z</x:Y>",
            "<Nm>A &amp; B</Nm><Ustrd>PBB-P2 NOP 367301000100000010 TAHUN 2026</Ustrd>",
        ] {
            let mut mine = Vec::new();
            let mut at = 0;
            while let Some(t) = token(xml.as_bytes(), at) {
                mine.push(t);
                at = match t {
                    Token::Text { end } | Token::Start { end, .. } | Token::End { end, .. } => end,
                };
            }
            let theirs = quick_xml_tokens(xml);
            assert_eq!(mine, theirs, "{xml}");
        }
        // Where the tokenizer gives up: markup quick-xml reads otherwise, or refuses.
        for xml in [
            "<!-- c -->",
            "<![CDATA[x]]>",
            "<?pi?>",
            "<>",
            "</ >",
            "</a b='>'>",
            "<a b='>",
            r#"<a"x y">"#,
        ] {
            assert_eq!(token(xml.as_bytes(), 0), None, "{xml}");
        }
        // Text runs to the next `<`; text at the end of the window is no whole event.
        assert_eq!(token(b"ab<c/>", 0), Some(Token::Text { end: 2 }));
        assert_eq!(token(b"ab", 0), None);
    }

    /// `take_entry` over `chunk`, which starts at byte 100, line 3, column 5 of the file.
    fn take_whole(chunk: &str) -> (Option<usize>, Subtree) {
        let newlines: Vec<u32> = memchr::memchr_iter(b'\n', chunk.as_bytes())
            .map(|i| i as u32)
            .collect();
        let w = Window {
            rest: chunk.as_bytes(),
            at: Pos {
                byte: 100,
                line: 3,
                column: 5,
            },
            offset: 0,
            newlines: &newlines,
        };
        let mut tree = Subtree::default();
        let used = take_entry(&w, &mut tree, &Limits::default(), 3);
        (used, tree)
    }

    #[test]
    fn whole_entries_are_taken_with_their_tags() {
        let entry = "<c:Ntry a='1'><c:Amt Ccy=\"IDR\">5</c:Amt>\n</c:Ntry >";
        let (used, tree) = take_whole(&format!("\n  {entry}<c:Ntry>"));
        assert_eq!(used, Some(3 + entry.len()));
        assert_eq!(tree.xml, entry.as_bytes());
        // Placed after its `<`, as the buffered walk places a start tag that follows text.
        assert_eq!(
            (tree.start.byte, tree.start.line, tree.start.column),
            (104, 4, 4)
        );
        assert_eq!(tree.tape.len(), 6);
        assert!(super::super::fast::entry(&tree).is_some());
        // Without text before it, at its `<`.
        let (used, tree) = take_whole(entry);
        assert_eq!(used, Some(entry.len()));
        assert_eq!((tree.start.byte, tree.start.column), (100, 5));
        // Left to the buffered walk: cut off, another element, an empty one, a comment inside,
        // a mismatched end tag.
        for chunk in [
            "<Ntry><Amt>5</Amt>",
            "<Bal><Amt>5</Amt></Bal>",
            "<Ntry/>",
            "<Ntry><!-- x --><Amt>5</Amt></Ntry>",
            "<Ntry><Amt>5</Amt></Ntryx>",
        ] {
            assert_eq!(take_whole(chunk).0, None, "{chunk}");
        }
    }

    #[test]
    fn stops_before_what_the_buffered_walk_must_read() {
        let first = "<NtryRef>1</NtryRef>";
        for rest in [
            "<Amt><!-- c --></Amt></Ntry>",
            "<Amt><![CDATA[x]]></Amt></Ntry>",
            "<Amt><?pi?></Amt></Ntry>",
            "<Amt>cut off by the end of the chu",
            "<Amt>1</Amtx></Ntry>",
        ] {
            let (used, _) = take(&format!("{first}{rest}"), Limits::default());
            assert_eq!(used, first.len(), "{rest}");
        }
        // Too deep, too large: left for the buffered walk to refuse.
        let deep = Limits {
            max_depth: 5,
            ..Limits::default()
        };
        assert_eq!(take("<A/><B><C></C></B></Ntry>", deep).0, 4);
        let small = Limits {
            max_element_bytes: 20,
            ..Limits::default()
        };
        assert_eq!(take("<A>1</A><B>2</B></Ntry>", small).0, 8);
        // A byte-order mark first is not the slice reader's to drop.
        assert_eq!(take("\u{feff}<A/></Ntry>", Limits::default()).0, 0);
    }
}
