import ts from 'typescript'

/**
 * The pull requests the destination reaches Segment in, one after another, so that a reviewer takes one piece at
 * a time. Each is a complete folder: the actions of its own stage and of the stages before it, with their presets
 * and tests. The last holds every action of src/.
 */
export interface Stage {
  /** The folder the stage is written to, beside the others, and the pull request's short name. */
  name: string
  /** The action keys (and folders) the destination has in this stage. */
  actions: string[]
  /** The destination's description in this stage; the last stage has src/'s own. */
  description?: string
  /** The pull request's description, in scripts/segment/pull-requests/. */
  pullRequest: string
}

const PROFILE_FIELDS = ['updateEmailContactProfileFields']
const CONTACTS = [...PROFILE_FIELDS, 'upsertContact', 'unsubscribeContact']

export const STAGES: Stage[] = [
  {
    name: '1-profile-fields',
    actions: PROFILE_FIELDS,
    description:
      "Keep Listrak email contacts' profile fields in step with Segment data, above all Engage audiences: check boxes above all, and Text, Numeric and Date fields.",
    pullRequest: '1-profile-fields.md'
  },
  {
    name: '2-contacts',
    actions: CONTACTS,
    description:
      'Keep Listrak email contacts in step with Segment data, above all Engage audiences: their profile fields (check boxes above all, and Text, Numeric and Date fields) and subscriptions.',
    pullRequest: '2-contacts.md'
  },
  {
    name: '3-transactional',
    actions: [...CONTACTS, 'sendTransactionalMessage'],
    pullRequest: '3-transactional.md'
  }
]

/** The stage named `name` (or numbered `name`, from 1). */
export function findStage(name: string): Stage | undefined {
  return STAGES.find((stage, index) => stage.name === name || String(index + 1) === name)
}

/** The action folder a relative import names, when it names one directly (`./upsertContact`, `../upsertContact`). */
function actionFolderOf(specifier: string, actions: string[]): string | undefined {
  const match = /^\.\.?\/([^/]+)$/.exec(specifier)
  return match && actions.includes(match[1]) ? match[1] : undefined
}

const nameOf = (name: ts.PropertyName) => (ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined)

/**
 * A source of the destination as it stands in `stage`: the imports of the other actions' folders, the entries of
 * `actions` keyed by them, and the presets whose `partnerAction` is one of them are taken out, and the
 * destination's description is the stage's. `allActions` are the keys of src/'s destination. Prettier formats
 * the result afterwards, so a removal only has to keep the syntax whole.
 */
export function stageSource(text: string, stage: Stage, allActions: string[]): string {
  const excluded = allActions.filter((action) => !stage.actions.includes(action))
  const file = ts.createSourceFile('source.ts', text, ts.ScriptTarget.Latest, true)
  const cuts: [start: number, end: number, replacement: string][] = []
  /** Cuts a node with its comma, if one follows, from its full start (so its comments go with it). */
  const cut = (node: ts.Node) => {
    let end = node.getEnd()
    const after = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text.slice(end))
    if (after.scan() === ts.SyntaxKind.CommaToken) end += after.getTokenEnd()
    cuts.push([node.getFullStart(), end, ''])
  }

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (actionFolderOf(node.moduleSpecifier.text, excluded)) return cut(node)
    } else if (
      (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) &&
      excluded.includes(nameOf(node.name) ?? '')
    ) {
      const parent = node.parent.parent
      if (ts.isPropertyAssignment(parent) && nameOf(parent.name) === 'actions') return cut(node)
    } else if (ts.isObjectLiteralExpression(node) && ts.isArrayLiteralExpression(node.parent)) {
      const partner = node.properties.find((p) => p.name && nameOf(p.name) === 'partnerAction')
      if (partner && ts.isPropertyAssignment(partner) && ts.isStringLiteral(partner.initializer)) {
        if (excluded.includes(partner.initializer.text)) return cut(node)
      }
    } else if (stage.description && ts.isObjectLiteralExpression(node)) {
      const hasActions = node.properties.some((p) => p.name && nameOf(p.name) === 'actions')
      const description = node.properties.find((p) => p.name && nameOf(p.name) === 'description')
      if (hasActions && description && ts.isPropertyAssignment(description)) {
        const value = description.initializer
        cuts.push([value.getStart(), value.getEnd(), JSON.stringify(stage.description)])
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)

  let staged = text
  for (const [start, end, replacement] of cuts.sort((a, b) => b[0] - a[0])) {
    staged = staged.slice(0, start) + replacement + staged.slice(end)
  }
  const left = excluded.filter((action) => new RegExp(`\\b${action}\\b`).test(staged))
  if (left.length > 0) {
    throw new Error(`A source still names ${left.join(', ')} after staging; stage it by hand or move the use`)
  }
  return staged
}

/**
 * A jest snapshot file with only the snapshots of `stage`: an entry whose name names an action of a later stage
 * goes, so that the destination's snapshot test has no obsolete snapshot in an earlier pull request.
 */
export function stageSnapshots(text: string, stage: Stage, allActions: string[]): string {
  const excluded = allActions.filter((action) => !stage.actions.includes(action))
  const [header, ...entries] = text.split(/\n(?=exports\[`)/)
  const kept = entries.filter((entry) => {
    const name = /^exports\[`(.*?)`\]/.exec(entry)?.[1] ?? ''
    return !excluded.some((action) => new RegExp(`\\b${action}\\b`).test(name))
  })
  return [header, ...kept].join('\n').replace(/\n*$/, '\n')
}
