/**
 * Token scopes as the distribution token spec writes them:
 * `type[(class)]:name:action,action` (docs/spec/auth/scope.md). The name may
 * itself hold colons, so the type ends at the first colon and the actions
 * start after the last one.
 */
export interface ResourceActions {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

const TYPE = /^([a-z0-9]+)(\([a-z0-9]+\))?$/;

export function parseScope(text: string): ResourceActions | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const typeMatch = TYPE.exec(text.slice(0, first));
  const name = text.slice(first + 1, last);
  // A space means a client joined several scopes into one parameter, which
  // the GET form of the spec does not allow: one `scope` parameter each.
  if (typeMatch === null || name === '' || /\s/.test(name)) return undefined;
  const actions = text.slice(last + 1).split(',').filter((a) => a !== '');
  return { type: typeMatch[1] ?? '', name, actions };
}

export function formatScope(scope: ResourceActions): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}
