//! Per-piece features: what each pre-tokenisation piece looks like, counted over a text.
//!
//! Byte-pair encoding works inside pieces, so a text's token count is the sum over its
//! pieces. Each piece adds to a few counters (a known word, a rare word of some length and
//! case, so many Han characters, a punctuation run of some length, …); the estimate is a
//! weighted sum of the counters ([`super::model`]).

use super::ascii;
use super::boundaries;
use super::cl_letters;
use super::classify::{class, script, Class, Script, SCRIPTS};
use super::pretokenize::{chars, Kind, Pieces};
use super::words::{table, Table, MAX_WORD};

/// Word segment found in the word list, in the form it appears (leading space or not).
pub(crate) const HIT: usize = 0;
/// Word pieces whose prefix is ASCII punctuation: `PRE_PUNCT + group`, where group 0 is
/// the characters that usually merge with the word (`-.(<_&,'`), 1 is `/:?\\`, 2 the rest.
pub(crate) const PRE_PUNCT: usize = HIT + 1;
/// Word pieces whose prefix is another non-letter (tab, no-break space, symbol, mark).
pub(crate) const PRE_OTHER: usize = PRE_PUNCT + 3;
/// Contractions (`'s`, `'ll`, …), standalone or attached.
pub(crate) const CONTRACTION: usize = PRE_OTHER + 1;
/// First of the features whose cost depends on the language (rare Latin words).
pub(crate) const LANG_START: usize = CONTRACTION + 1;
/// Rare-word segments: `MISS + shape * MISS_BUCKETS + bucket` (shape: lower, Capitalised,
/// ALLCAPS; bucket by length, see [`len_bucket`]).
pub(crate) const MISS: usize = LANG_START;
/// Length buckets per shape.
pub(crate) const MISS_BUCKETS: usize = 10;
/// Letters beyond 10 in rare-word segments, per shape: `MISS_LONG + shape`.
pub(crate) const MISS_LONG: usize = MISS + 3 * MISS_BUCKETS;
/// Extra case segments inside one piece (camelCase in `cl100k_base`).
pub(crate) const SEG_EXTRA: usize = MISS_LONG + 3;
/// Non-ASCII letters inside otherwise Latin words (é, ß, ł, …).
pub(crate) const LATIN_EXT: usize = SEG_EXTRA + 1;
/// Expected inner token boundaries of rare lower-case or Capitalised words, in 1/255 units
/// ([`super::boundaries`]).
pub(crate) const BOUNDARY: usize = LATIN_EXT + 1;
/// One past the last language-dependent feature.
pub(crate) const LANG_END: usize = BOUNDARY + 1;
/// Letters and marks of other scripts: `SCRIPT_CHARS + script`.
pub(crate) const SCRIPT_CHARS: usize = LANG_END;
/// Pieces whose first non-ASCII letter is of a script: `SCRIPT_PIECES + script`.
pub(crate) const SCRIPT_PIECES: usize = SCRIPT_CHARS + SCRIPTS;
/// Short (≤ 3 letters) pieces of non-Latin scripts.
pub(crate) const SCRIPT_SHORT: usize = SCRIPT_PIECES + SCRIPTS;
/// ASCII number groups (1–3 digits).
pub(crate) const NUMBER: usize = SCRIPT_SHORT + 1;
/// Non-ASCII number characters.
pub(crate) const NUMBER_OTHER: usize = NUMBER + 1;
/// ASCII punctuation runs of length 1, 2, 3, ≥ 4: `PUNCT_RUN + min(len, 4) - 1`.
pub(crate) const PUNCT_RUN: usize = NUMBER_OTHER + 1;
/// Changes of character beyond the first in ASCII punctuation runs of 4 or more (a run of
/// one repeated character, like `-----`, is a token or two at any length).
pub(crate) const PUNCT_LONG: usize = PUNCT_RUN + 4;
/// Punctuation pieces with a leading space.
pub(crate) const PUNCT_SPACE: usize = PUNCT_LONG + 1;
/// Punctuation pieces with trailing newlines (or `/` in `o200k_base`).
pub(crate) const PUNCT_TRAIL: usize = PUNCT_SPACE + 1;
/// Non-ASCII symbols by UTF-8 length 2, 3, 4: `PUNCT_WIDE + len - 2`; the pictographs of
/// the Basic Multilingual Plane (`✅ ⭐`, [`super::lang::is_pictograph`]) count as length 4,
/// with the emoji, whose cost they share (two tokens, not an em dash's one or less), and so
/// do the symbols of blocks a vocabulary does not merge (Braille, private-use icons:
/// [`super::lang::is_unmerged_bmp`], three tokens), so that the language correction, which
/// prices them, is run for a text whose only non-ASCII characters they are.
pub(crate) const PUNCT_WIDE: usize = PUNCT_TRAIL + 1;
/// Combining marks outside words (`cl100k_base` splits them off).
pub(crate) const PUNCT_MARK: usize = PUNCT_WIDE + 3;
/// Punctuation pieces that are one listed token ([`super::punct_list`]).
pub(crate) const PUNCT_HIT: usize = PUNCT_MARK + 1;
/// White-space pieces without a newline.
pub(crate) const SPACE: usize = PUNCT_HIT + 1;
/// White-space pieces with newlines.
pub(crate) const SPACE_NL: usize = SPACE + 1;
/// Newlines beyond the second in a white-space piece.
pub(crate) const SPACE_NL_EXTRA: usize = SPACE_NL + 1;
/// White-space characters beyond the 64th in a piece.
pub(crate) const SPACE_LONG: usize = SPACE_NL_EXTRA + 1;
/// Pieces of a script of [`BARE_SCRIPTS`] whose letters follow no space — a line's first
/// word, a word after `[[`, `**`, `#`, `-` or `(`, an anchor slug's words joined by hyphens:
/// `SCRIPT_BARE + k` for the `k`-th script of that list. The vocabularies hold those scripts'
/// common words with their leading space, so a bare word is cut into more tokens (in
/// `o200k_base` about 0.7 more for a Russian word, 0.6–0.8 for Hindi and Bengali, 0.5 for
/// Arabic, 0.35 for Korean: `tools/lang-rates/measure_bare.mjs`). The model gives them no
/// weight (its fit, `examples/token_accuracy.rs`, leaves them out): the language correction
/// prices them ([`super::lang`]), next to the script factors whose fitted notes set how many
/// bare words a text has on average.
pub(crate) const SCRIPT_BARE: usize = SPACE_LONG + 1;
/// The scripts whose bare words are counted ([`SCRIPT_BARE`]): the alphabets whose words the
/// vocabularies hold with a leading space. Han, kana and the scripts of Southeast Asia write
/// no spaces between words, and Latin words are priced by their own features.
pub(crate) const BARE_SCRIPTS: [Script; 7] =
    [Script::Cyrillic, Script::Greek, Script::OtherAlphabet, Script::Hebrew, Script::Arabic, Script::Indic, Script::Hangul];
/// Each script's place in [`BARE_SCRIPTS`] (`u8::MAX`: not there), derived from it.
const BARE_SLOT: [u8; SCRIPTS] = slots(&BARE_SCRIPTS);
/// Each script's place in the list `scripts` (`u8::MAX`: not there), for a table indexed by
/// script that maps it to its counter.
const fn slots(scripts: &[Script]) -> [u8; SCRIPTS] {
    let mut t = [u8::MAX; SCRIPTS];
    let mut k = 0;
    while k < scripts.len() {
        t[scripts[k] as usize] = k as u8;
        k += 1;
    }
    t
}
/// Rare Latin words (lower-case or Capitalised case segments of three letters or more that
/// the word list does not hold in their form) that follow no space: a line's first word, a
/// word after `{{`, `/`, `_`, `[[` or `#`, the later parts of a `camelCase` word. In
/// English the model's fit prices them (a listed word's bare form has its own bit); in
/// other languages a word the vocabulary holds only with its leading space is cut into
/// more pieces bare (`tools/lang-rates/measure_bare.mjs`), which the language correction
/// adds for the text's foreign part ([`super::lang`]). The model gives them no weight, as
/// it gives [`SCRIPT_BARE`] none.
pub(crate) const LATIN_BARE: usize = SCRIPT_BARE + BARE_SCRIPTS.len();
/// Capitalised words of a script of [`CASED_SCRIPTS`] that follow a space (an upper-case
/// letter, then a lower-case one: a name, a sentence's first word): `SCRIPT_CAPITALISED + k`
/// for the `k`-th script of that list. The vocabularies hold those scripts' common words
/// lower-case with their leading space, so the same word Capitalised is cut into more
/// tokens (in `o200k_base` about 0.55 more for a Russian, Ukrainian or Bulgarian word, 0.7
/// for Greek, 0.9 for Armenian: `tools/lang-rates/measure_capitalised.mjs`), which the
/// per-script price, blind to case, does not see: quotations with their authors, names and
/// short sentences ran Russian 8 % under. The model gives them no weight; the language
/// correction prices them ([`super::lang`]). Bare ones are left to [`SCRIPT_BARE`]: bare,
/// the Capitalised form costs little more than the lower-case one.
pub(crate) const SCRIPT_CAPITALISED: usize = LATIN_BARE + 1;
/// The scripts whose Capitalised words are counted ([`SCRIPT_CAPITALISED`]): the scripts of
/// [`BARE_SCRIPTS`] that have letter case.
pub(crate) const CASED_SCRIPTS: [Script; 3] = [Script::Cyrillic, Script::Greek, Script::OtherAlphabet];
/// Each script's place in [`CASED_SCRIPTS`] (`u8::MAX`: not there), derived from it.
const CASED_SLOT: [u8; SCRIPTS] = slots(&CASED_SCRIPTS);
/// Number of features.
pub(crate) const FEATURES: usize = SCRIPT_CAPITALISED + CASED_SCRIPTS.len();

/// Counters over a text.
pub(crate) type Counts = [u64; FEATURES];

/// Length bucket of a rare word segment: 1–2, 3, 4, …, 10, 11+.
#[inline(always)]
fn len_bucket(n: usize) -> usize {
    n.saturating_sub(2).min(MISS_BUCKETS - 1)
}

/// Adds `n` to counter `i` (ignoring out-of-range indices).
#[inline(always)]
pub(crate) fn add(c: &mut Counts, i: usize, n: u64) {
    if let Some(x) = c.get_mut(i) {
        *x += n;
    }
}

/// Counts the features of every piece of `text` (UTF-8 bytes) under one encoding's
/// pre-tokenisation.
pub(crate) fn count(text: &[u8], o200k: bool, c: &mut Counts) {
    // One loop per encoding, each its own function behind an opaque pointer: Wasm engines
    // compile functions on first call, so a first estimate compiles only its encoding's
    // loop, and wasm-opt cannot merge the two into one large function.
    let each: fn(&[u8], &mut Counts) = if o200k { count_with::<true, true> } else { count_with::<false, true> };
    std::hint::black_box(each)(text, c);
}

/// [`count`] with every piece the ASCII fast path declines taken by the pre-tokeniser's
/// pieces ([`general`], without the `cl100k_base` letters shortcut): the reference the
/// shortcut is tested against.
#[cfg(test)]
pub(crate) fn count_by_pieces(text: &[u8], o200k: bool, c: &mut Counts) {
    if o200k {
        count_with::<true, false>(text, c)
    } else {
        count_with::<false, false>(text, c)
    }
}

/// [`count`] for one encoding: the ASCII fast path, and where it declines, `cl100k_base`'s
/// letters shortcut (with `SHORTCUT`) or the general rules.
fn count_with<const O200K: bool, const SHORTCUT: bool>(bytes: &[u8], c: &mut Counts) {
    let t = table();
    let mut pieces = Pieces::new(bytes, O200K);
    let mut i = 0;
    while i < bytes.len() {
        i = match ascii::piece(bytes, i, O200K, t, c) {
            Some(e) => e,
            None if O200K || !SHORTCUT => general(bytes, &mut pieces, i, O200K, t, c),
            None => cl100k_general(bytes, &mut pieces, i, t, c),
        }
        .max(i + 1);
    }
}

/// `cl100k_base`'s [`general`]: letters pieces in one pass ([`cl_letters`]), other pieces by
/// the general rules.
#[inline(never)]
fn cl100k_general(bytes: &[u8], pieces: &mut Pieces<'_>, i: usize, t: &Table, c: &mut Counts) -> usize {
    match cl_letters::piece(bytes, i, t, c) {
        Some(end) => end,
        None => general(bytes, pieces, i, false, t, c),
    }
}

/// Counts the piece at `i` by the general rules and returns where it ends (kept out of the
/// ASCII loops, so that plain-ASCII text compiles and runs without it).
#[inline(never)]
fn general(bytes: &[u8], pieces: &mut Pieces<'_>, i: usize, o200k: bool, t: &Table, c: &mut Counts) -> usize {
    pieces.seek(i);
    let p = pieces.general();
    let piece = bytes.get(p.start..p.end).unwrap_or(&[]);
    match p.kind {
        Kind::Word { body } => {
            let prefix = bytes.get(p.start..body).unwrap_or(&[]);
            let letters = bytes.get(body..p.end).unwrap_or(&[]);
            word(prefix, letters, p.ascii, o200k, t, c);
        }
        Kind::Contraction => add(c, CONTRACTION, 1),
        Kind::Number => {
            if piece.first().is_some_and(|b| b.is_ascii()) {
                add(c, NUMBER, 1);
            } else {
                add(c, NUMBER_OTHER, chars(piece).count() as u64);
            }
        }
        Kind::Punct => {
            if t.punct_flags(piece) & (if o200k { 1 } else { 2 }) != 0 {
                add(c, PUNCT_HIT, 1);
            } else if p.ascii {
                ascii_punct(piece, c);
            } else {
                punct(piece, c);
            }
        }
        Kind::Space => space(piece, c),
    }
    p.end
}

/// Features of a letters piece.
fn word(prefix: &[u8], letters: &[u8], ascii: bool, o200k: bool, t: &Table, c: &mut Counts) {
    let spaced = prefix == b" ";
    word_prefix(prefix.first().copied(), c);
    // An o200k word may end in a contraction.
    let mut letters = letters;
    if o200k && letters.len() > 2 {
        // A contraction is at most three bytes at the end.
        let tail = letters.len().saturating_sub(3);
        if let Some(q) = letters.get(tail..).and_then(|t| t.iter().position(|&b| b == b'\'')) {
            add(c, CONTRACTION, 1);
            letters = letters.get(..tail + q).unwrap_or(&[]);
        }
    }
    if ascii || letters.is_ascii() {
        ascii::segments(letters, 0, letters.len(), spaced, o200k, t, c);
    } else {
        other_word(letters, o200k, spaced, c);
    }
}

/// Counts the prefix of a letters piece by its first byte (`None`: no prefix; a space
/// counts nothing).
///
/// Inlined in its callers (`general` and `cl100k_general`, for every piece that is not plain
/// ASCII): a Wasm call makes V8 spill the caller's live values.
#[inline(always)]
pub(crate) fn word_prefix(first: Option<u8>, c: &mut Counts) {
    match first {
        None | Some(b' ') => {}
        Some(b) if b.is_ascii_punctuation() => {
            let group = match b {
                b'-' | b'.' | b'(' | b'<' | b'_' | b'&' | b',' | b'\'' => 0,
                b'/' | b':' | b'?' | b'\\' => 1,
                _ => 2,
            };
            add(c, PRE_PUNCT + group, 1)
        }
        Some(_) => add(c, PRE_OTHER, 1),
    }
}

/// Counts the ASCII case segment `b[start..start + len]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn segment_at(b: &[u8], start: usize, len: usize, shape: usize, spaced: bool, o200k: bool, t: &Table, c: &mut Counts) {
    let seg = b.get(start..start + len).unwrap_or(&[]);
    if shape < 2 && seg.len() >= 3 && seg.len() <= MAX_WORD {
        let f = t.flags_at(b, start, len);
        // Bit for this encoding, with or without the space, lower-case or Capitalised.
        let bit = usize::from(!o200k) + if spaced { 0 } else { 2 } + if shape == 1 { 4 } else { 0 };
        if f >> bit & 1 == 1 {
            add(c, HIT, 1);
            return;
        }
    }
    miss(seg, shape, spaced, o200k, c);
}

/// Counts an ASCII case segment that is not in the word list: as a rare word ([`rare_word`]),
/// and (unless ALLCAPS) the expected token boundaries between its letters.
#[inline]
pub(crate) fn miss(seg: &[u8], shape: usize, spaced: bool, o200k: bool, c: &mut Counts) {
    rare_word(seg.len(), shape, spaced, c);
    if shape < 2 {
        add(c, BOUNDARY, byte_boundary_mass(seg, o200k));
    }
}

/// Counts a rare Latin word (or case segment) of `n` letters and `shape` (0 lower-case, 1
/// Capitalised, 2 ALLCAPS) by its length, and as a bare Latin word ([`LATIN_BARE`]) where no
/// space comes before it: the part that [`miss`] (ASCII) and [`latin_word`] (accented) share.
#[inline(always)]
fn rare_word(n: usize, shape: usize, spaced: bool, c: &mut Counts) {
    add(c, MISS + shape * MISS_BUCKETS + len_bucket(n), 1);
    add(c, MISS_LONG + shape, n.saturating_sub(10) as u64);
    if !spaced && shape < 2 && n >= 3 {
        add(c, LATIN_BARE, 1);
    }
}

/// [`boundary_mass`] of bytes, as [`letter_index`] indexes them: `(b | 0x20) - b'a'` is below
/// 26 for exactly the ASCII letters, so each index is one subtraction and a minimum, and every
/// table index is below 27 × 27 (the rare-word path of the ASCII loop, whose segments are
/// all letters, without the range tests).
#[inline(always)]
fn byte_boundary_mass(seg: &[u8], o200k: bool) -> u64 {
    let table: &[u8; 729] = if o200k { &boundaries::O200K } else { &boundaries::CL100K };
    let index = |b: u8| usize::from((b | 0x20).wrapping_sub(b'a')).min(26);
    let Some((&first, rest)) = seg.split_first() else { return 0 };
    let mut prev = index(first);
    let mut sum = 0u64;
    for &b in rest {
        let i = index(b);
        sum += u64::from(table.get(prev * 27 + i).copied().unwrap_or(0));
        prev = i;
    }
    sum
}

/// Index of a Latin letter in the boundary table: `a`–`z` (either case) 0–25, others 26.
#[inline(always)]
fn letter_index(u: u32) -> usize {
    let l = u | 0x20;
    if (u32::from(b'a')..=u32::from(b'z')).contains(&l) && u < 0x80 {
        (l - u32::from(b'a')) as usize
    } else {
        26
    }
}

/// Sum of the boundary probabilities (× 255) between consecutive letters.
#[inline]
fn boundary_mass(letters: impl Iterator<Item = usize>, o200k: bool) -> u64 {
    let table: &[u8; 729] = if o200k { &boundaries::O200K } else { &boundaries::CL100K };
    let mut prev: Option<usize> = None;
    let mut sum = 0u64;
    for i in letters {
        if let Some(p) = prev {
            sum += u64::from(table.get(p * 27 + i).copied().unwrap_or(0));
        }
        prev = Some(i);
    }
    sum
}

/// Counts a piece with non-ASCII letters: Latin words with accents, or other scripts;
/// `spaced` when the piece starts with a space.
fn other_word(s: &[u8], o200k: bool, spaced: bool, c: &mut Counts) {
    let mut tally = Tally::default();
    for ch in chars(s) {
        tally.push(script(ch as u32), c);
    }
    tally.finish(s, o200k, spaced, c);
}

/// One pass's tally of the letters of a word that is not plain ASCII, by script.
///
/// Letters of other scripts than Latin are added to the counters per run of one script (a
/// CJK or Cyrillic word is nearly always one run) as the run ends; the rest is counted by
/// [`Tally::finish`].
#[derive(Default)]
pub(crate) struct Tally {
    /// Letters so far.
    n: usize,
    /// ASCII letters so far.
    ascii: u64,
    /// Non-ASCII Latin letters so far.
    ext: u64,
    /// Script of the first letter of another script.
    first: Option<Script>,
    /// The current run of another script and its length, not yet added.
    run: Option<(Script, u64)>,
}

impl Tally {
    /// Counts one more letter, of script `sc`.
    #[inline(always)]
    pub(crate) fn push(&mut self, sc: Script, c: &mut Counts) {
        self.n += 1;
        match sc {
            Script::Ascii => self.ascii += 1,
            Script::LatinExt => self.ext += 1,
            sc => match &mut self.run {
                Some((cur, k)) if *cur == sc => *k += 1,
                _ => {
                    if let Some((cur, k)) = self.run {
                        add(c, SCRIPT_CHARS + cur as usize, k);
                    }
                    self.run = Some((sc, 1));
                    if self.first.is_none() {
                        self.first = Some(sc);
                    }
                }
            },
        }
    }

    /// Whether every letter so far is ASCII.
    #[inline(always)]
    pub(crate) fn all_ascii(&self) -> bool {
        self.ascii as usize == self.n
    }

    /// Adds the features of the word whose letters `s` were all pushed; `spaced` when its
    /// piece starts with a space.
    #[inline(always)]
    pub(crate) fn finish(self, s: &[u8], o200k: bool, spaced: bool, c: &mut Counts) {
        // Only words with another script count characters per script.
        if let Some((cur, k)) = self.run {
            add(c, SCRIPT_CHARS + cur as usize, k);
        }
        let Some(first_script) = self.first else {
            latin_word(s, self.n, self.ext, spaced, o200k, c);
            return;
        };
        add(c, SCRIPT_CHARS + Script::Ascii as usize, self.ascii);
        add(c, SCRIPT_CHARS + Script::LatinExt as usize, self.ext);
        add(c, SCRIPT_PIECES + first_script as usize, 1);
        if !spaced {
            // A script without a slot adds past the counters: nothing.
            let slot = BARE_SLOT.get(first_script as usize).copied().unwrap_or(u8::MAX);
            add(c, SCRIPT_BARE + usize::from(slot), 1);
        } else {
            let slot = CASED_SLOT.get(first_script as usize).copied().unwrap_or(u8::MAX);
            if slot != u8::MAX && capitalised(s) {
                add(c, SCRIPT_CAPITALISED + usize::from(slot), 1);
            }
        }
        if self.n <= 3 {
            add(c, SCRIPT_SHORT, 1);
        }
    }
}

/// Whether the word `s` starts with an upper-case letter followed by a lower-case one.
fn capitalised(s: &[u8]) -> bool {
    let mut classes = chars(s).map(class);
    matches!((classes.next(), classes.next()), (Some(Class::Upper), Some(Class::Lower)))
}

/// Counts a word of `n` Latin letters `s`, `ext` of them not ASCII: like a rare word of
/// this length, plus the accented letters; `spaced` when its piece starts with a space.
#[inline(never)]
fn latin_word(s: &[u8], n: usize, ext: u64, spaced: bool, o200k: bool, c: &mut Counts) {
    let mut classes = chars(s).map(class);
    let shape = match (classes.next(), classes.next()) {
        (Some(Class::Upper), Some(Class::Upper)) => 2,
        (Some(Class::Upper), _) => 1,
        _ => 0,
    };
    if shape < 2 {
        add(c, BOUNDARY, boundary_mass(chars(s).map(|ch| letter_index(ch as u32)), o200k));
    }
    rare_word(n, shape, spaced, c);
    add(c, LATIN_EXT, ext);
}

/// Counts a punctuation piece made of ASCII only.
fn ascii_punct(b: &[u8], c: &mut Counts) {
    let mut rest = b;
    if let [b' ', tail @ ..] = b {
        if !tail.is_empty() {
            add(c, PUNCT_SPACE, 1);
            rest = tail;
        }
    }
    let run = rest.iter().position(|&x| x == b'\n' || x == b'\r').unwrap_or(rest.len());
    let (body, trail) = rest.split_at(run);
    let changes = body.windows(2).filter(|w| w.first() != w.last()).count() as u64;
    punct_run(body.len() as u64, changes, !trail.is_empty(), c);
}

/// Adds the features of an ASCII punctuation run of `run` characters with `changes`
/// character changes, and whether newlines (or `/`) trail it.
#[inline]
pub(crate) fn punct_run(run: u64, changes: u64, trail: bool, c: &mut Counts) {
    if run > 0 {
        add(c, PUNCT_RUN + (run.min(4) as usize) - 1, 1);
        if run >= 4 {
            add(c, PUNCT_LONG, changes);
        }
    }
    if trail {
        add(c, PUNCT_TRAIL, 1);
    }
}

/// Counts a punctuation piece.
fn punct(b: &[u8], c: &mut Counts) {
    let mut i = 0;
    if b.first() == Some(&b' ') && b.len() > 1 {
        add(c, PUNCT_SPACE, 1);
        i = 1;
    }
    let mut run = 0u64;
    let mut changes = 0u64;
    let mut prev = 0u8;
    let mut trail = false;
    for ch in chars(b.get(i..).unwrap_or(&[])) {
        let u = ch as u32;
        if u < 0x80 {
            if ch == '\n' || ch == '\r' || (ch == '/' && trail) {
                trail = true;
            } else if !trail {
                run += 1;
                if prev != 0 && prev != u as u8 {
                    changes += 1;
                }
                prev = u as u8;
            }
            continue;
        }
        match class(ch) {
            Class::Mark => add(c, PUNCT_MARK, 1),
            _ if super::lang::is_pictograph(u) || super::lang::is_unmerged_bmp(u) => add(c, PUNCT_WIDE + 2, 1),
            _ => add(c, PUNCT_WIDE + ch.len_utf8().clamp(2, 4) - 2, 1),
        }
    }
    punct_run(run, changes, trail, c);
}

/// Counts a white-space piece.
fn space(piece: &[u8], c: &mut Counts) {
    let nl = piece.iter().map(|&b| u64::from(b == b'\n')).sum::<u64>();
    if nl == 0 {
        add(c, SPACE, 1);
    } else {
        add(c, SPACE_NL, 1);
        add(c, SPACE_NL_EXTRA, nl.saturating_sub(2));
    }
    add(c, SPACE_LONG, (piece.len() as u64).saturating_sub(64));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word of a script of [`BARE_SCRIPTS`] counts as bare where no space comes before it
    /// (the text's or a line's start, `[[`, `**`, `#`, `(`, `-`, `,`), in either encoding;
    /// spaced words, Latin words and Han count nothing.
    #[test]
    fn bare_words_are_counted_by_script() {
        let text = "слово [[Заметка]] #тег **жирный** (видео) раз-два\nновая строка; [[Note]] #tag 中文 ,ελληνικά";
        let slot = |sc: Script| SCRIPT_BARE + usize::from(BARE_SLOT[sc as usize]);
        for o200k in [true, false] {
            let mut c = [0u64; FEATURES];
            count(text.as_bytes(), o200k, &mut c);
            assert_eq!(c[slot(Script::Cyrillic)], 7, "слово, Заметка, тег, жирный, видео, два, новая (o200k {o200k})");
            assert_eq!(c[slot(Script::Greek)], 1, "ελληνικά after a comma (o200k {o200k})");
            assert_eq!(c[SCRIPT_BARE..LATIN_BARE].iter().sum::<u64>(), 8, "nothing else (o200k {o200k})");
        }
        let mut c = [0u64; FEATURES];
        count("спокойное слово, и ещё одно".as_bytes(), true, &mut c);
        assert_eq!(c[SCRIPT_BARE..LATIN_BARE].iter().sum::<u64>(), 1, "only the first word");
    }

    /// A word of a cased script of [`CASED_SCRIPTS`] counts as Capitalised where a space comes
    /// before it and its first letter is upper-case and its second lower-case, in either
    /// encoding; lower-case, ALLCAPS, one-letter and bare words, Latin and Georgian words do
    /// not.
    #[test]
    fn capitalised_words_are_counted_by_script() {
        let text = "Сказал Евгений Кащеев: «Брат» и СССР, И. Шевелёв\nКогда Αθήνα και Ελλάδα, Երևան ծով, Tbilisi და თბილისი";
        let slot = |sc: Script| SCRIPT_CAPITALISED + usize::from(CASED_SLOT[sc as usize]);
        for o200k in [true, false] {
            let mut c = [0u64; FEATURES];
            count(text.as_bytes(), o200k, &mut c);
            assert_eq!(c[slot(Script::Cyrillic)], 3, "Евгений, Кащеев, Шевелёв (o200k {o200k})");
            assert_eq!(c[slot(Script::Greek)], 2, "Αθήνα, Ελλάδα (o200k {o200k})");
            assert_eq!(c[slot(Script::OtherAlphabet)], 1, "Երևան (o200k {o200k})");
            assert_eq!(c[SCRIPT_CAPITALISED..FEATURES].iter().sum::<u64>(), 6, "nothing else (o200k {o200k})");
        }
    }

    /// A rare Latin word of three letters or more that follows no space is a bare Latin word
    /// (after `{{`, `/`, `_`, `[[`, at a line's start, with accents or without), in either
    /// encoding; a spaced one, a listed English word in its bare form (`path`, `file`), an
    /// ALLCAPS word and a word of one or two letters are not.
    #[test]
    fn bare_latin_words_are_counted() {
        let text = "Zkopírovat soubor:\n`cp {{cesta/k/souboru}} {{domein}}_{{gebruikersnaam}}`\n[[Poznámky]] {{path/to/file}} NASA ok";
        for o200k in [true, false] {
            let mut c = [0u64; FEATURES];
            count(text.as_bytes(), o200k, &mut c);
            assert_eq!(c[LATIN_BARE], 6, "Zkopírovat, cesta, souboru, domein, gebruikersnaam, Poznámky (o200k {o200k})");
        }
        let mut c = [0u64; FEATURES];
        count(" soubor domein gebruikersnaam".as_bytes(), true, &mut c);
        assert_eq!(c[LATIN_BARE], 0, "spaced words are not bare");
        for o200k in [true, false] {
            let mut c = [0u64; FEATURES];
            count("ÉTAT\n(PŘÍKAZ) (État)".as_bytes(), o200k, &mut c);
            assert_eq!(c[LATIN_BARE], 1, "only État: accented ALLCAPS words are not counted either (o200k {o200k})");
        }
    }

    /// The byte version of the boundary mass gives what the general one gives through
    /// [`letter_index`], for every pair of bytes and on longer runs of mixed bytes.
    #[test]
    fn byte_boundary_mass_matches_letter_index() {
        let general = |seg: &[u8], o200k: bool| boundary_mass(seg.iter().map(|&b| letter_index(u32::from(b))), o200k);
        for o200k in [true, false] {
            for x in 0..=255u8 {
                for y in 0..=255u8 {
                    assert_eq!(byte_boundary_mass(&[x, y], o200k), general(&[x, y], o200k), "{x} {y}");
                }
            }
            let text: Vec<u8> = (0..4096u32).map(|k| (k.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            for seg in text.chunks(11) {
                assert_eq!(byte_boundary_mass(seg, o200k), general(seg, o200k));
            }
            assert_eq!(byte_boundary_mass(b"", o200k), 0);
            assert_eq!(byte_boundary_mass(b"Hello", o200k), general(b"Hello", o200k));
        }
    }
}
