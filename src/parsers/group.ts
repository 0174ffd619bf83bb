/** Adds `item` to the list kept under `key` (starting the list if there is none): rows grouped by a key column. */
export function appendTo<K, V>(lists: Map<K, V[]>, key: K, item: V): void {
  const list = lists.get(key)
  if (list) list.push(item)
  else lists.set(key, [item])
}
