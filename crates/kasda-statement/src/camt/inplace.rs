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
                if rest[from..to] != rest[name.0..name.1] {
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
fn token(rest: &[u8], at: usize) -> Option<Token> {
    let tail = rest.get(at..).filter(|t| !t.is_empty())?;
    if tail[0] != b'<' {
        let len = memchr::memchr(b'<', tail)?;
        return Some(Token::Text { end: at + len });
    }
    match *tail.get(1)? {
        b'!' | b'?' => None,
        b'/' => {
            let close = memchr::memchr(b'>', tail)?;
            let content = &tail[2..close];
            if content.iter().any(|&b| b == b'"' || b == b'\'') {
                return None;
            }
            let name_len = content.iter().rposition(|&b| !is_xml_space(b))? + 1;
            Some(Token::End {
                name: (at + 2, at + 2 + name_len),
                end: at + close + 1,
            })
        }
        _ => {
            // The `>` that ends the tag is the first one outside quoted attribute values.
            let mut quote = None;
            let close = tail[1..].iter().position(|&b| match quote {
                Some(q) => {
                    if b == q {
                        quote = None;
                    }
                    false
                }
                None => {
                    if b == b'"' || b == b'\'' {
                        quote = Some(b);
                    }
                    b == b'>'
                }
            })? + 1;
            let content = &tail[1..close];
            let (content, empty) = match content.strip_suffix(b"/") {
                Some(c) => (c, true),
                None => (content, false),
            };
            let name_len = content
                .iter()
                .position(|&b| is_xml_space(b))
                .unwrap_or(content.len());
            if name_len == 0 {
                return None;
            }
            Some(Token::Start {
                content: content.len(),
                name_len,
                empty,
                end: at + close + 1,
            })
        }
    }
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
        ] {
            assert_eq!(token(xml.as_bytes(), 0), None, "{xml}");
        }
        // Text runs to the next `<`; text at the end of the window is no whole event.
        assert_eq!(token(b"ab<c/>", 0), Some(Token::Text { end: 2 }));
        assert_eq!(token(b"ab", 0), None);
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
