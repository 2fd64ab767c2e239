// The "did you mean" hint of an unknown fact: Python's difflib.get_close_matches(word,
// possibilities, n=1, cutoff=0.6), ported (SequenceMatcher with its autojunk rule), so the hint
// is the Python checker's. Texts are compared as sequences of code points.

const CUTOFF = 0.6;

/** The possibility closest to word, or null when none reaches the cutoff. */
export function closeMatch(word, possibilities) {
  const b = Array.from(word);
  const b2j = new Map();
  b.forEach((element, index) => {
    const indices = b2j.get(element);
    if (indices === undefined) b2j.set(element, [index]);
    else indices.push(index);
  });
  if (b.length >= 200) {
    const most = Math.floor(b.length / 100) + 1;
    for (const [element, indices] of [...b2j]) if (indices.length > most) b2j.delete(element);
  }
  const bCount = new Map();
  for (const element of b) bCount.set(element, (bCount.get(element) ?? 0) + 1);
  let best = null;
  for (const possibility of possibilities) {
    const a = Array.from(possibility);
    const length = a.length + b.length;
    if (ratio(Math.min(a.length, b.length), length) < CUTOFF) continue;
    if (ratio(quickMatches(a, bCount), length) < CUTOFF) continue;
    const score = ratio(matchingCharacters(a, b, b2j), length);
    if (score < CUTOFF) continue;
    if (best === null || score > best[0] || (score === best[0] && possibility > best[1])) best = [score, possibility];
  }
  return best === null ? null : best[1];
}

function ratio(matches, length) {
  return length ? (2.0 * matches) / length : 1.0;
}

function quickMatches(a, bCount) {
  const available = new Map();
  let matches = 0;
  for (const element of a) {
    const count = available.has(element) ? available.get(element) : (bCount.get(element) ?? 0);
    available.set(element, count - 1);
    if (count > 0) matches += 1;
  }
  return matches;
}

/** The size of SequenceMatcher's matching blocks, summed. */
function matchingCharacters(a, b, b2j) {
  const queue = [[0, a.length, 0, b.length]];
  let total = 0;
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longestMatch(a, b, b2j, alo, ahi, blo, bhi);
    if (k) {
      total += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return total;
}

function longestMatch(a, b, b2j, alo, ahi, blo, bhi) {
  let [besti, bestj, bestsize] = [alo, blo, 0];
  let j2len = new Map();
  for (let i = alo; i < ahi; i++) {
    const next = new Map();
    for (const j of b2j.get(a[i]) ?? []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (j2len.get(j - 1) ?? 0) + 1;
      next.set(j, k);
      if (k > bestsize) [besti, bestj, bestsize] = [i - k + 1, j - k + 1, k];
    }
    j2len = next;
  }
  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    [besti, bestj, bestsize] = [besti - 1, bestj - 1, bestsize + 1];
  }
  while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize += 1;
  return [besti, bestj, bestsize];
}
