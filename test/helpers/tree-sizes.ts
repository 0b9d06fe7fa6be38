/**
 * `tree_sizes=` recomputed for an edited model text, as LightGBM writes it (each tree's block length in
 * bytes, from its `Tree=` line to the next tree or "end of trees"): tests that change a value's length
 * keep the file self-consistent, so the parser judges the edit itself.
 */
export function withTreeSizes(text: string): string {
  const sizesAt = text.indexOf("\ntree_sizes=");
  if (sizesAt < 0) return text;
  const lineEnd = text.indexOf("\n", sizesAt + 1);
  const starts: number[] = [];
  const re = /^(Tree=|end of trees)/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    starts.push(m.index);
    if (m[1] === "end of trees") break;
  }
  const sizes: number[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    sizes.push(Buffer.byteLength(text.slice(starts[i], starts[i + 1])));
  }
  return `${text.slice(0, sizesAt)}\ntree_sizes=${sizes.join(" ")}${text.slice(lineEnd)}`;
}
