use super::*;

#[test]
fn frontmatter_only_note_sends_nothing() {
    let a = analyze_note("---\ntags: [a, b]\naliases: x\n---\n\n");
    assert_eq!(a.sent, "");
    assert!(a.removed.frontmatter);
    assert_eq!(a.structure, NoteStructure::default());
}

#[test]
fn frontmatter_is_removed_and_body_kept() {
    let a = analyze_note("---\ntitle: T\n---\n# Heading\n\nBody text here.\n");
    assert_eq!(a.sent, "# Heading\n\nBody text here.\n");
    assert_eq!(a.structure.headings, 1);
    assert_eq!(a.structure.sentences, 1);
}

#[test]
fn comments_are_removed_inline_and_across_lines() {
    let a = analyze_note("Keep %%drop this%% keep.\n%%\nsecret\nlines\n%%\nEnd.");
    assert_eq!(a.sent, "Keep  keep.\n\nEnd.");
    assert_eq!(a.removed.comments, 2);
}

#[test]
fn an_unclosed_comment_runs_to_the_end() {
    let a = analyze_note("Visible.\n%% hidden\nstill hidden");
    assert_eq!(a.sent, "Visible.\n");
    assert_eq!(a.removed.comments, 1);
}

#[test]
fn percent_signs_in_code_and_math_are_text() {
    let note = "Rate is `50%%` here.\n\n```\nprintf(\"%%d\");\n```\n\n$a %% b$ and %%gone%% end";
    let a = analyze_note(note);
    assert!(a.sent.contains("`50%%`"), "{}", a.sent);
    assert!(a.sent.contains("printf(\"%%d\")"), "{}", a.sent);
    assert!(a.sent.contains("$a %% b$"), "{}", a.sent);
    assert!(!a.sent.contains("gone"), "{}", a.sent);
}

#[test]
fn image_embeds_are_removed_note_embeds_kept() {
    let a = analyze_note("A ![[diagram.png]] B ![[Other note]] C ![alt](img/x.JPG) D ![[scan.pdf#page=2]] E ![[pic.png|300]]");
    assert_eq!(a.sent, "A  B ![[Other note]] C  D  E ");
    assert_eq!(a.removed.embeds, 4);
}

#[test]
fn code_and_math_are_kept() {
    let note = "Intro.\n\n```rust\nfn main() {}\n```\n\n$$\nE = mc^2\n$$\n";
    let a = analyze_note(note);
    assert_eq!(a.sent, note);
    assert_eq!(a.structure.code_blocks, 1);
    assert_eq!(a.structure.math_blocks, 1);
}

#[test]
fn counts_structure() {
    let note = "# Biology\n\n## Cells\n\nThe cell is the unit of life. Cells divide! Do they?\n\n- Mitochondria: the powerhouse of the cell\n- Ribosome: makes proteins from RNA\n  - nested item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nQ: What is DNA?\nA: A molecule.\n\nPhotosynthesis::Light to sugar\n\nThe ==nucleus== holds ==DNA==.\n";
    let s = analyze_note(note).structure;
    assert_eq!(s.headings, 2);
    assert_eq!(s.list_items, 3);
    assert_eq!(s.table_rows, 2);
    assert_eq!(s.definitions, 2, "{s:?}");
    assert_eq!(s.explicit_cards, 4, "{s:?}");
    assert!(s.sentences >= 3, "{s:?}");
    assert!(s.words > 30, "{s:?}");
}

#[test]
fn cjk_characters_count_as_words() {
    let s = analyze_note("細胞は生命の単位である。細胞は分裂する。").structure;
    assert_eq!(s.sentences, 2);
    assert!(s.words >= 14, "{s:?}");
}

#[test]
fn hostile_notes_do_not_panic() {
    let deep = ">".repeat(100_000) + " x";
    let brackets = "[".repeat(100_000);
    let stars = "*".repeat(100_000);
    let percents = "%".repeat(100_001);
    let mixed = "- ".repeat(50_000) + "$$" + &"`".repeat(1000);
    for note in [deep, brackets, stars, percents, mixed, "\u{0}\u{FFFD}\u{200B}".repeat(1000), "---\n".repeat(1000)] {
        let a = analyze_note(&note);
        assert!(a.sent.len() <= note.len());
    }
}

#[test]
fn frontmatter_rules_follow_pulldown_cmark() {
    // Closed by `...`; trailing spaces allowed on the fences.
    assert_eq!(analyze_note("---  \na: 1\n...\nBody.").sent, "Body.");
    // Not closed, first line not exactly `---`, or an empty first line: not frontmatter.
    for note in ["---\na: 1\nBody.", "----\na: 1\n----\nBody.", "--- x\na: 1\n---\nBody.", "---\n\na: 1\n---\nBody."] {
        let a = analyze_note(note);
        assert!(!a.removed.frontmatter, "{note:?}");
        assert_eq!(a.sent, note);
    }
}

#[test]
fn a_dashed_block_in_the_middle_is_not_frontmatter() {
    // pulldown-cmark took this for a metadata block and the old code cut it.
    let note = "Intro.\n\n---\nMore text\n\n---\nEnd.";
    let a = analyze_note(note);
    assert_eq!(a.sent, note);
    assert!(!a.removed.frontmatter);
}

#[test]
fn comments_are_text_in_every_kind_of_code_and_math() {
    let note = "```\n%% in fence\n```\n\n    %% indented\n\n$$\n%% display\n$$\n\n~~~\n%%\n~~~\nA %%cut%% B";
    let a = analyze_note(note);
    for kept in ["%% in fence", "%% indented", "%% display", "~~~\n%%\n~~~"] {
        assert!(a.sent.contains(kept), "{kept:?} in {:?}", a.sent);
    }
    assert!(a.sent.ends_with("A  B"), "{:?}", a.sent);
    assert_eq!(a.removed.comments, 1);
}

#[test]
fn embeds_are_cut_in_every_form_but_not_in_code() {
    let note = "![t](a.png \"Title\") ![](https://x.org/y) ![[clip.MP4]] ![[song.flac|a]] ![r][img] `![[k.png]]`\n\n[img]: /p.png\n\n```\n![c](c.png)\n```";
    let a = analyze_note(note);
    assert_eq!(a.sent, "     `![[k.png]]`\n\n[img]: /p.png\n\n```\n![c](c.png)\n```");
    assert_eq!(a.removed.embeds, 5);
}

#[test]
fn embeds_in_block_quotes_and_across_lines_are_cut() {
    let a = analyze_note("> [!info] Callout\n> See ![a\n> b](x.png) here ![[y.png]].\n");
    assert_eq!(a.sent, "> [!info] Callout\n> See  here .\n");
    assert_eq!(a.removed.embeds, 2);
}

#[test]
fn counts_blocks_of_every_kind() {
    let note = "Title\n=====\n\nSub\n---\n\n1) one\n2) two\n   - [ ] task\n   - [x] done\n\n```math\nx\n```\n\n    indented code\n\nText $$x$$ here.\n\n| h | i |\n|:-:|---|\n| 1 | 2 |\n";
    let s = analyze_note(note).structure;
    assert_eq!(s.headings, 2, "{s:?}");
    assert_eq!(s.list_items, 4, "{s:?}");
    assert_eq!(s.code_blocks, 2, "{s:?}");
    assert_eq!(s.math_blocks, 2, "{s:?}");
    assert_eq!(s.table_rows, 1, "{s:?}");
    assert_eq!(s.definitions, 0, "{s:?}");
}

#[test]
fn link_destinations_and_html_are_not_words() {
    let s = analyze_note("See [the docs](https://example.com/a/b/c) <span class=\"x y\">now</span>.").structure;
    assert_eq!(s.words, 4, "{s:?}");
    assert_eq!(s.sentences, 1, "{s:?}");
}

#[test]
fn definition_lists_count_their_terms() {
    assert_eq!(analyze_note("Term\n: the meaning of it\n").structure.definitions, 1);
}

#[test]
fn hostile_notes_are_linear() {
    let big = |unit: &str| unit.repeat(2_000_000 / unit.len());
    let notes = [
        big("!["),
        big("`"),
        big("` `` ``` "),
        big("$"),
        big("$ {"),
        big("[[a"),
        big("<!--"),
        big("<a x=\""),
        big("[](("),
        big("%"),
        big(">"),
        big("- > "),
        big("```\n"),
        big("\u{301}"),
        big("\0\n"),
        big("| a |\n|---|\n"),
        big("&#"),
    ];
    let start = std::time::Instant::now();
    for note in &notes {
        let t = std::time::Instant::now();
        let a = analyze_note(note);
        assert!(a.sent.len() <= note.len());
        // Generous (debug builds): a quadratic scan of 2 MB would take many minutes.
        assert!(t.elapsed().as_secs() < 60, "{:?}… took {:?}", &note[..8], t.elapsed());
    }
    assert!(start.elapsed().as_secs() < 300);
}
