import { type Decision, type KubeRequest, type Policy, parseAction, renderCommand } from '@gatehouse/policy';

export interface CheckInput {
  readonly request: KubeRequest;
  readonly cluster: string;
  readonly agent: string;
}

/** `gatehouse policy check`: the decision, the rule, and for each rule whether it matched and why. */
export function checkRequest(policy: Policy, input: CheckInput): string {
  const action = parseAction(input.request);
  const explained = policy.explain({
    cluster: input.cluster,
    agent: input.agent,
    action,
    request: input.request,
  });
  const lines = [
    `request:  ${input.request.method} ${input.request.path}${input.request.query ? `?${input.request.query}` : ''}`,
    `command:  ${renderCommand(action)} (agent ${input.agent}, cluster ${input.cluster})`,
    `decision: ${describeDecision(explained.decision)}`,
  ];
  if (explained.note) lines.push(`note:     ${explained.note}`);
  if (explained.rules.length > 0) {
    lines.push('rules:');
    const width = Math.max(...explained.rules.map((r) => r.rule.length));
    for (const r of explained.rules) {
      const mode = r.mode === 'enforce' ? '' : ` (${r.mode})`;
      lines.push(`  ${r.matched ? 'match' : 'no   '}  ${r.rule.padEnd(width)}  ${r.effect}${mode}: ${r.why}`);
    }
  }
  for (const o of explained.decision.observed ?? []) {
    lines.push(`observed: ${o.mode} rule ${o.rule} would ${o.effect}: ${o.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What a lowered audit level leaves of the request, for an operator checking a rule. */
const AUDIT_LEVEL_WORDS = {
  None: 'audit level None: not recorded, only counted in gatehouse_audit_unrecorded_requests_total',
  Metadata: 'audit level Metadata: recorded without its headers and body',
} as const;

export function describeDecision(decision: Decision): string {
  const by = decision.rule === null ? 'no rule (the policy default)' : `rule ${decision.rule}`;
  switch (decision.effect) {
    case 'allow':
      return `allow, by ${by}${decision.auditLevel === undefined ? '' : `; ${AUDIT_LEVEL_WORDS[decision.auditLevel]}`}`;
    case 'deny':
      return `deny, by ${by}: ${decision.reason}`;
    case 'require': {
      const plural = decision.approvals === 1 ? 'approval' : 'approvals';
      return `require ${decision.approvals} ${plural} from ${decision.group}, by ${by}: ${decision.reason}`;
    }
  }
}
