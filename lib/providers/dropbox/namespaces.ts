/** What `users/get_current_account` says about namespaces: the root to name when it is not the home one. */
export function teamSpaceRoot(rootInfo: unknown): string | undefined {
  const info = rootInfo as { root_namespace_id?: unknown; home_namespace_id?: unknown } | undefined;
  const root = info?.root_namespace_id;
  if (typeof root !== 'string' || !/^\d{1,20}$/.test(root)) return undefined;
  return root !== info?.home_namespace_id ? root : undefined;
}
