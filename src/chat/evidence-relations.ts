/**
 * The graph around the entries, as evidence candidates with the totals the graph holds: member
 * lists (contains), one hop of context relations, and the walk the question asks for about each
 * subject. Lists are gathered up to a cap; every total is counted over the whole graph, so an
 * answer can say how many there are, not how many were gathered.
 */
import type { Db } from '../db/index.ts';
import {
  type CboObject,
  countRelations,
  type GraphHits,
  queryGraphFrom,
  type RelationCount,
  type RelationHit,
  relationsOf,
  walkRelations,
} from '../kg/index.ts';
import type { EvidenceTotal } from './evidence.ts';
import {
  askedWalk,
  type Candidate,
  EDGES_FOR_THE_QUESTION,
  EDGES_PER_SUBJECT,
  edgeSpecs,
  type LocatedObject,
  located,
  membersCandidate,
  relationCandidate,
} from './evidence-candidates.ts';
import type { ClassifiedQuestion } from './question.ts';

// Members read per container; the member list quotes fewer, and the total counts them all.
const MEMBERS_READ = 200;

export interface GatheredGraph {
  readonly candidates: Candidate[];
  readonly totals: EvidenceTotal[];
}

const sum = (counts: readonly RelationCount[], f: (c: RelationCount) => number) =>
  counts.reduce((n, c) => n + f(c), 0);

/**
 * Each entry's container with its members, and the members of entries that are containers, with
 * the graph's member counts. For an exports question the exported members come first.
 */
export async function gatherMembers(
  db: Db,
  entries: readonly LocatedObject[],
  classified: ClassifiedQuestion,
): Promise<GatheredGraph> {
  const ids = entries.map((o) => o.id);
  const [parents, children] = await Promise.all([
    relationsOf(db, ids, ['contains'], 'in', 1),
    relationsOf(db, ids, ['contains'], 'out', MEMBERS_READ),
  ]);
  const containers = parents.filter((p) => located(p.object) && p.object.kind !== 'module');
  const containerIds = [...new Set(containers.map((p) => p.object.id))];
  const [siblings, counts] = await Promise.all([
    relationsOf(db, containerIds, ['contains'], 'out', MEMBERS_READ),
    countRelations(db, [...new Set([...ids, ...containerIds])], ['contains'], 'out'),
  ]);
  const candidates: Candidate[] = [];
  const totals: EvidenceTotal[] = [];
  const add = (container: LocatedObject, hits: readonly RelationHit[], rank: number) => {
    let members = hits.filter((h) => h.startId === container.id).map((h) => h.object);
    if (members.length === 0) return;
    if (classified.intent === 'exports' && container.kind === 'module')
      members = [
        ...members.filter((m) => m.metadata.exported),
        ...members.filter((m) => !m.metadata.exported),
      ];
    const mine = counts.filter((c) => c.startId === container.id);
    const candidate = membersCandidate(
      container,
      members,
      rank,
      sum(mine, (c) => c.total),
    );
    candidates.push(candidate);
    if (totals.some((t) => t.subjectId === container.id)) return;
    totals.push({
      subjectId: container.id,
      kinds: ['contains'],
      direction: 'out',
      depth: 1,
      total: sum(mine, (c) => c.total),
      gathered: candidate.members?.length ?? 0,
      members: mine.map((c) => ({ kind: c.objectKind, total: c.total, exported: c.exported })),
    });
  };
  for (const p of containers) if (located(p.object)) add(p.object, siblings, ids.indexOf(p.startId));
  for (const o of entries) add(o, children, ids.indexOf(o.id));
  // A subject with no members says so too (a module that only re-exports declares nothing).
  for (const o of entries)
    if (!totals.some((t) => t.subjectId === o.id) && o.kind === 'module')
      totals.push({
        subjectId: o.id,
        kinds: ['contains'],
        direction: 'out',
        depth: 1,
        total: 0,
        gathered: 0,
      });
  return { candidates, totals };
}

/**
 * One hop of context relations around every entry (EDGES_PER_SUBJECT of each kind, counted in
 * full), and for each subject the walk its question asks for (EDGES_FOR_THE_QUESTION, counted in
 * full by the same walk `cogo graph` runs).
 */
export async function gatherRelations(
  db: Db,
  entries: readonly LocatedObject[],
  subjectIds: ReadonlySet<string>,
  classified: ClassifiedQuestion,
): Promise<GatheredGraph> {
  const ids = entries.map((o) => o.id);
  const askedOf = (o: CboObject) => (subjectIds.has(o.id) ? askedWalk(classified.intent, o) : null);
  const specsOf = (o: CboObject) => edgeSpecs(askedOf(o), o);
  const kindsFor = (direction: 'in' | 'out') => [
    ...new Set(entries.flatMap((o) => specsOf(o).flatMap((x) => (x.direction === direction ? x.kinds : [])))),
  ];
  // Two statements (relations in, relations out) and two counts for every entry and kind.
  const oneHop = (direction: 'in' | 'out') => {
    const kinds = kindsFor(direction);
    return Promise.all([
      relationsOf(db, ids, kinds, direction, EDGES_PER_SUBJECT),
      countRelations(db, ids, kinds, direction),
    ]);
  };
  const [[incoming, inCounts], [outgoing, outCounts]] = await Promise.all([oneHop('in'), oneHop('out')]);
  const candidates: Candidate[] = [];
  const totals: EvidenceTotal[] = [];
  for (const o of entries)
    for (const spec of specsOf(o)) {
      const [hits, counts] = spec.direction === 'in' ? [incoming, inCounts] : [outgoing, outCounts];
      const mine = hits
        .filter((h) => h.startId === o.id && spec.kinds.includes(h.kind))
        .slice(0, EDGES_PER_SUBJECT);
      for (const hit of mine)
        candidates.push(
          relationCandidate(
            o,
            hit.object,
            { kind: hit.kind, via: hit.kind, depth: 1 },
            spec,
            hit.evidence,
            ids.indexOf(o.id),
          ),
        );
      const total = sum(
        counts.filter((c) => c.startId === o.id && spec.kinds.includes(c.kind)),
        (c) => c.total,
      );
      if (total > 0)
        totals.push({
          subjectId: o.id,
          kinds: spec.kinds,
          direction: spec.direction,
          depth: 1,
          total,
          gathered: mine.length,
        });
    }

  const walks = await Promise.all(
    entries.map(async (o) => {
      const asked = askedOf(o);
      if (!asked) return null;
      const options = { limit: EDGES_FOR_THE_QUESTION };
      const walked: GraphHits = asked.query
        ? await queryGraphFrom(db, asked.query, [o], options)
        : await walkRelations(db, [o.id], asked.kinds, asked.direction, options);
      return { o, asked, walked };
    }),
  );
  for (const w of walks) {
    if (!w) continue;
    const { o, asked, walked } = w;
    for (const h of walked.hits) {
      if (!h.evidence) continue;
      const kind = asked.label ?? h.via ?? asked.kinds[0]!;
      candidates.push(
        relationCandidate(
          o,
          h.object,
          { kind, via: h.via, depth: h.depth },
          asked,
          h.evidence,
          ids.indexOf(o.id),
        ),
      );
    }
    totals.push({
      subjectId: o.id,
      kinds: asked.label ? [asked.label] : asked.kinds,
      direction: asked.direction,
      depth: walked.depth,
      total: walked.total,
      gathered: walked.hits.length,
    });
  }
  return { candidates, totals };
}
