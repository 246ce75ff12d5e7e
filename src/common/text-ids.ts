/**
 * The id of `text` in a numbering of texts (`texts[id] === text`, `ids.get(text) === id`): its
 * id when numbered already, else the next one, given to it now.
 */
export function textId(texts: string[], ids: Map<string, number>, text: string): number {
  let id = ids.get(text);
  if (id === undefined) {
    id = texts.length;
    ids.set(text, id);
    texts.push(text);
  }
  return id;
}
