// Numbers, money, dates and plurals for the reader's locale. Credits and dollars arrive as
// decimal strings ("3469.5", "0.00084") and are never turned into floats: the integer
// part is grouped by Intl.NumberFormat as a BigInt (exact at any size) and the fraction's
// digits are kept as they are, behind the locale's decimal separator.

/** The page's locale: the browser's (Intl's default when it has none). */
export const locale = (typeof navigator !== "undefined" && navigator.language) || undefined;

const numbers = new Intl.NumberFormat(locale);
const plurals = new Intl.PluralRules(locale);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function separator(format, type, fallback) {
  return format.formatToParts(-1.5).find((p) => p.type === type)?.value ?? fallback;
}
const DECIMAL_SEPARATOR = separator(numbers, "decimal", ".");
const MINUS = separator(numbers, "minusSign", "-");

/** Splits a decimal string into sign, grouped integer part and fraction digits. */
function parts(value, minFraction = 0) {
  const text = String(value ?? "");
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign, int, frac = ""] = m;
  let fraction = frac.replace(/0+$/, "");
  if (fraction.length < minFraction) fraction = fraction.padEnd(minFraction, "0");
  const negative = sign === "-" && !(/^0+$/.test(int) && fraction.replace(/0/g, "") === "");
  return { negative, integer: numbers.format(BigInt(int)), fraction };
}

/** A decimal string (or a whole number) for people: "3469.500" → "3,469.5" (en-US). */
export function decimal(value) {
  if (typeof value === "number" && Number.isSafeInteger(value)) return numbers.format(value);
  const p = parts(value);
  if (!p) return String(value ?? "–");
  return `${p.negative ? MINUS : ""}${p.integer}${p.fraction ? DECIMAL_SEPARATOR + p.fraction : ""}`;
}

const usdFormat = new Intl.NumberFormat(locale, { style: "currency", currency: "USD" });

/** A USD decimal string as money, with at least cents: "2.5" → "$2.50", "0.00084" → "$0.00084". */
export function usd(value) {
  const p = parts(value, 2);
  if (!p) return String(value ?? "–");
  return usdFormat.formatToParts(p.negative ? -1 : 1).map((part) => {
    if (part.type === "integer") return p.integer;
    if (part.type === "fraction") return p.fraction;
    return part.value;
  }).join("");
}

/** Whether a count or decimal string is exactly one (English "1 card", "1 credit"). */
function category(value) {
  const text = String(value);
  if (DECIMAL.test(text) && text.includes(".") && !/\.0*$/.test(text)) return "other"; // 1.5 credits
  return plurals.select(Number.parseInt(text, 10));
}

/** `n` with its noun, formatted and pluralised: count(1, "card") → "1 card", count("12.5", "credit") → "12.5 credits". */
export function count(value, one, other = `${one}s`) {
  return `${decimal(value)} ${category(value) === "one" ? one : other}`;
}

/** What the AI proxy charged a call that failed after the provider had its request, as the
 * page says it: `charged` credits (X-Credit-Charged) or `units` tokens (X-Credit-Units, a
 * hold in LLM tokens); null when it charged neither (the hold was released). */
export function failedCallCharge(charged, units) {
  return charged ? `${charged} credits` : units ? `${units} tokens` : null;
}

/** "credit" / "credits" for `value`. */
export function noun(value, one, other = `${one}s`) {
  return category(value) === "one" ? one : other;
}

const dateFormat = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" });
const dateTimeFormat = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** An instant (ms) as a date: "Dec 3, 2026"; "never" for none. */
export function date(ms) {
  return ms === null || ms === undefined ? "never" : dateFormat.format(ms);
}

/** An instant as a date and time: "Dec 3, 10:42 PM". */
export function dateTime(ms) {
  return ms === null || ms === undefined ? "never" : dateTimeFormat.format(ms);
}

/** An instant as a time of day. */
export function time(ms) {
  return timeFormat.format(ms);
}

/** Compares two decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a, b) {
  const pa = DECIMAL.exec(String(a));
  const pb = DECIMAL.exec(String(b));
  if (!pa || !pb) return 0;
  const scale = Math.max((pa[3] ?? "").length, (pb[3] ?? "").length);
  const big = (m) => BigInt(`${m[1]}${m[2]}${(m[3] ?? "").padEnd(scale, "0")}`);
  const x = big(pa);
  const y = big(pb);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A decimal string, or "0" when it is below zero (a room the device has overspent). */
export function atLeastZero(value) {
  return compareDecimal(value, "0") < 0 ? "0" : value;
}

/** The exact sum of decimal strings, as a decimal string. */
export function sumDecimal(values) {
  const parsed = values.map((v) => DECIMAL.exec(String(v))).filter(Boolean);
  const scale = Math.max(0, ...parsed.map((m) => (m[3] ?? "").length));
  const total = parsed.reduce((s, m) => s + BigInt(`${m[1]}${m[2]}${(m[3] ?? "").padEnd(scale, "0")}`), 0n);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

/** `price × part ÷ whole`, rounded down to the cent, as a decimal string ("14.99"), exact
 * (BigInt): what the ledger pays back for `part` of a purchase of `whole` credits. */
export function proRataUsd(price, part, whole) {
  const scaled = (v, scale) => {
    const m = DECIMAL.exec(String(v));
    if (!m) return 0n;
    return BigInt(`${m[1]}${m[2]}${(m[3] ?? "").slice(0, scale).padEnd(scale, "0")}`);
  };
  const S = 24;
  const w = scaled(whole, S);
  if (w <= 0n) return "0";
  const cents = (scaled(price, S) * scaled(part, S) * 100n) / (w * 10n ** BigInt(S));
  const c = cents < 0n ? 0n : cents;
  return `${c / 100n}.${String(c % 100n).padStart(2, "0")}`;
}
