/**
 * ALFWorld's AlfredDemangler: human names for mangled ALFRED ids. Ids are sorted as strings; each class (the text
 * before the first `_bar_`, plus `basin` when the id mentions a basin) numbers its instances n..1 in that order, so the
 * lexicographically first id gets the highest number. Ids without `_bar_` (agents, types) keep their text and gain a
 * trailing space, e.g. `agent1 `.
 */
export function demangleNames(ids: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const counts = new Map<string, number>();
  for (const id of sorted) {
    const cut = id.indexOf('_bar_');
    if (cut < 0) continue;
    const cls = id.slice(0, cut) + (id.includes('basin') ? 'basin' : '');
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  const names = new Map<string, string>();
  for (const id of sorted) {
    const text = id
      .replaceAll('_bar_', '|')
      .replaceAll('_minus_', '-')
      .replaceAll('_plus_', '+')
      .replaceAll('_dot_', '.')
      .replaceAll('_comma_', ',');
    const cut = text.indexOf('|');
    if (cut < 0) {
      names.set(id, `${text} `);
      continue;
    }
    const cls = text.slice(0, cut) + (id.includes('basin') ? 'basin' : '');
    const left = counts.get(cls) ?? 0;
    counts.set(cls, left - 1);
    names.set(id, `${cls} ${left > 0 ? left : ''}`);
  }
  return names;
}
