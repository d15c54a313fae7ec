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
