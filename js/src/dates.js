// Dates as day numbers: ISO texts <-> proleptic Gregorian ordinals (1 is 0001-01-01), as
// docs/semantics.md defines them. A day number may be a Number or, in a decision evaluated
// exactly (see evaluate.js), a BigInt.

const EPOCH_ORDINAL = 719163; // 1970-01-01
export const FAR_PAST = 1;
export const FAR_FUTURE = 3652059; // 9999-12-31
const DAYS_IN_400_YEARS = 146097;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_IN_400_YEARS + dayOfEra - 719468;
}

/** [year, month, day] of a number of days since 1970-01-01 (Hinnant's civil_from_days). */
function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / DAYS_IN_400_YEARS);
  const dayOfEra = z - era * DAYS_IN_400_YEARS;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year, month) {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** The ordinal of an ISO date string (YYYY-MM-DD, a real calendar date from year 1), or null.
 * Read digit by digit: this is on every fact set's path. */
export function parseDate(value) {
  if (typeof value !== "string" || value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) {
    return null;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  if (!(year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return null;
  return daysFromCivil(year, month, day) + EPOCH_ORDINAL;
}

/** The number the ASCII digits from..to of text write, or NaN. */
function digits(text, from, to) {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** The ISO date of an ordinal from 0001-01-01 to 9999-12-31. */
export function fromOrdinal(day) {
  const [year, month, date] = civilFromDays(Number(day) - EPOCH_ORDINAL);
  return `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(date)}`;
}

function pad2(number) {
  return number < 10 ? `0${number}` : String(number);
}

/** A day number in words: its ISO date from 0001-01-01 to 9999-12-31, and beyond them ISO
 * 8601's expanded form as JavaScript writes years: a sign and six or more digits, year 0 being
 * 1 BC (+010000-03-30, 0000-12-31, -000001-12-31). Any whole number of days, BigInt too. */
export function dayText(day) {
  if (typeof day === "number" && day >= FAR_PAST && day <= FAR_FUTURE) return fromOrdinal(day);
  const big = BigInt(day);
  const cycle = BigInt(DAYS_IN_400_YEARS);
  let cycles = (big - 1n) / cycle;
  let inCycle = big - 1n - cycles * cycle;
  if (inCycle < 0n) {
    cycles -= 1n;
    inCycle += cycle;
  }
  const [sameYear, month, date] = civilFromDays(Number(inCycle) + 1 - EPOCH_ORDINAL);
  const year = BigInt(sameYear) + 400n * cycles;
  const shown =
    year >= 0n && year <= 9999n
      ? String(year).padStart(4, "0")
      : `${year > 0n ? "+" : "-"}${String(year < 0n ? -year : year).padStart(6, "0")}`;
  return `${shown}-${pad2(month)}-${pad2(date)}`;
}

/** Today's ordinal on the caller's clock (local time, as Python's date.today()). */
export function today() {
  const now = new Date();
  return daysFromCivil(now.getFullYear(), now.getMonth() + 1, now.getDate()) + EPOCH_ORDINAL;
}
