import type { RequestReceivedEvent, StoredEvent } from '@gatehouse/audit';
import type { Action, Decision, KubeRequest, Policy } from '@gatehouse/policy';

type Effect = Decision['effect'];

export interface ReplayChange {
  readonly time: string;
  readonly agent: string;
  readonly cluster: string;
  readonly command: string;
  readonly recorded: { readonly effect: Effect; readonly rule: string | null };
  readonly candidate: { readonly effect: Effect; readonly rule: string | null };
}

export interface ReplayReport {
  readonly requests: number;
  readonly recorded: Readonly<Record<Effect, number>>;
  readonly candidate: Readonly<Record<Effect, number>>;
  /** Per candidate rule: requests it decided (`(default)` when none did) and matches in audit/warn mode. */
  readonly rules: ReadonlyMap<string, { decided: Record<Effect, number>; observed: number }>;
  readonly changes: readonly ReplayChange[];
  /** Requests whose body was not in the audit (bodies not kept, or a Secret's): conditions on `object` saw none. */
  readonly withoutBody: number;
}

const zero = (): Record<Effect, number> => ({ allow: 0, require: 0, deny: 0 });

/**
 * What a candidate policy would have decided for every request the audit recorded, against what the
 * gateway decided then. The recorded action is judged (what the parser made of the request as it
 * arrived, body included); conditions read the body where the audit kept it.
 */
export function replay(events: readonly StoredEvent[], candidate: Policy): ReplayReport {
  const recorded = zero();
  const decided = zero();
  const rules = new Map<string, { decided: Record<Effect, number>; observed: number }>();
  const ruleEntry = (name: string) => {
    let entry = rules.get(name);
    if (entry === undefined) {
      entry = { decided: zero(), observed: 0 };
      rules.set(name, entry);
    }
    return entry;
  };
  const changes: ReplayChange[] = [];
  let requests = 0;
  let withoutBody = 0;
  for (const event of events) {
    if (event.type !== 'request.received') continue;
    requests++;
    const request = storedRequest(event);
    if (request.body === undefined && (event.request.body?.bytes ?? 0) > 0) withoutBody++;
    const decision = candidate.decide({
      cluster: event.cluster,
      agent: event.agent,
      action: event.action as unknown as Action,
      request,
    });
    recorded[event.decision.effect]++;
    decided[decision.effect]++;
    ruleEntry(decision.rule ?? '(default)').decided[decision.effect]++;
    for (const o of decision.observed ?? []) ruleEntry(o.rule).observed++;
    if (decision.effect !== event.decision.effect || decision.rule !== event.decision.rule) {
      changes.push({
        time: event.time,
        agent: event.agent,
        cluster: event.cluster,
        command: event.command,
        recorded: { effect: event.decision.effect, rule: event.decision.rule },
        candidate: { effect: decision.effect, rule: decision.rule },
      });
    }
  }
  return { requests, recorded, candidate: decided, rules, changes, withoutBody };
}

function storedRequest(event: RequestReceivedEvent): KubeRequest {
  const { body } = event.request;
  const bytes =
    body?.text !== undefined
      ? new TextEncoder().encode(body.text)
      : body?.base64 !== undefined
        ? Buffer.from(body.base64, 'base64')
        : undefined;
  return {
    method: event.request.method,
    path: event.request.path,
    query: event.request.query,
    headers: event.request.headers,
    body: bytes,
  };
}

export function formatReplay(report: ReplayReport): string {
  const by = (rule: string | null) => (rule === null ? '(default)' : rule);
  const lines = [
    `replayed ${report.requests} requests`,
    `           recorded  candidate`,
    ...(['allow', 'require', 'deny'] as const).map(
      (e) =>
        `  ${e.padEnd(8)} ${String(report.recorded[e]).padStart(8)} ${String(report.candidate[e]).padStart(10)}`,
    ),
    'per rule (candidate): allow / require / deny decided, matches in audit or warn mode',
  ];
  for (const [rule, entry] of [...report.rules].sort(([a], [b]) => a.localeCompare(b))) {
    const d = entry.decided;
    lines.push(
      `  ${rule}: ${d.allow} / ${d.require} / ${d.deny}${entry.observed > 0 ? `, observed ${entry.observed}` : ''}`,
    );
  }
  lines.push(`changed: ${report.changes.length}`);
  for (const c of report.changes) {
    lines.push(
      `  ${c.time} ${c.agent} on ${c.cluster}: ${c.command}: ${c.recorded.effect} (${by(c.recorded.rule)}) -> ${c.candidate.effect} (${by(c.candidate.rule)})`,
    );
  }
  if (report.withoutBody > 0) {
    lines.push(
      `note: ${report.withoutBody} requests had a body the audit did not keep (audit.bodies, Secrets); conditions reading object saw none`,
    );
  }
  return `${lines.join('\n')}\n`;
}
