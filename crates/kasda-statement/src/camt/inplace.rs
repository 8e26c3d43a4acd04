//! Reading the children of a buffered element straight from the current chunk of the source.
//!
//! The streaming walk copies each statement child (`Ntry`, `Bal`, …) into [`Subtree`] event by
//! event through the buffered parser. When whole child elements already lie in the chunk the
//! counting reader holds, [`take_children`] parses them with quick-xml's borrowing slice reader
//! instead (no per-event copy, no per-event position bookkeeping), records the same tokens,
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

use quick_xml::events::Event;
use quick_xml::Reader;

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
    // The slice reader starts in its initial state, where it would drop a byte-order mark; a
    // non-ASCII byte first is left to the buffered walk (it is never so in practice).
    if rest.first().is_none_or(|&b| b >= 0x80) {
        return 0;
    }
    let origin = tree.xml.len();
    let tape_origin = tree.tape.len();
    let marks_origin = tree.marks.len();
    let mut reader = Reader::from_reader(rest);
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
    }
    // The last point everything before which may be handed over: (bytes of `rest`, tape
    // length, marks length).
    let mut safe = (0usize, tape_origin, marks_origin);
    // Open elements below the collected one.
    let mut open = 0usize;
    let mut after_text = false;
    // Line bookkeeping for the marks: newlines of `rest` passed so far.
    let mut next_newline = 0usize;
    let mut line = w.at.line;
    let mut line_start = w.at.byte + 1 - w.at.column;
    loop {
        // Offsets in `rest`: where the event starts (for markup, its `<`) and where the reader
        // stands after it (for text, at the `<` that ends it).
        let before = position(&reader);
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => break,
        };
        let after = position(&reader);
        // The buffered walk refuses an element larger than the limit after any event.
        if origin + after > limits.max_element_bytes {
            break;
        }
        match &event {
            Event::Start(s) | Event::Empty(s) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty && depth + open + 2 > limits.max_depth {
                    break;
                }
                // The position the buffered walk would have taken: after text, its reader
                // has already consumed the `<`.
                let at = before + usize::from(after_text);
                while let Some(&nl) = w.newlines.get(next_newline) {
                    let nl = nl as usize - w.offset;
                    if nl >= at {
                        break;
                    }
                    next_newline += 1;
                    line += 1;
                    line_start = w.at.byte + nl as u64 + 1;
                }
                let byte = w.at.byte + at as u64;
                let pos = Pos {
                    byte,
                    line,
                    column: byte - line_start + 1,
                };
                tree.record_start_in_place(
                    origin + before,
                    s.len(),
                    s.name().as_ref().len(),
                    empty,
                    pos,
                );
                after_text = false;
                if !empty {
                    open += 1;
                }
            }
            Event::End(_) => {
                // Never the element's own end tag: the loop stops before that one.
                let Some(still_open) = open.checked_sub(1) else {
                    break;
                };
                tree.record_end_in_place();
                after_text = false;
                open = still_open;
            }
            Event::Text(t) => {
                tree.record_text_in_place(origin + before, t.len());
                after_text = true;
            }
            // Comments, CDATA, processing instructions, a DOCTYPE, the end of the chunk.
            _ => break,
        }
        if open > 0 {
            continue;
        }
        let next = rest.get(after..).unwrap_or_default();
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

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
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
