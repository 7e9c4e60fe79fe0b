import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CelInput, celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The chart's optional ValidatingAdmissionPolicy, rendered as check-deploy renders the chart, its CEL
// evaluated on AdmissionReview `request`s. The evaluation order is the API server's
// (k8s.io/apiserver/pkg/admission/plugin/policy/validating): matchConstraints select the request, every
// matchCondition must be true, then a false validation denies. Not run against a real API server here.

const root = fileURLToPath(new URL('../..', import.meta.url));
const rendered = execFileSync(
  'bash',
  ['scripts/check-deploy.sh', '--render', 'deploy/helm/gatehouse/ci/admission-values.yaml'],
  { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
);

interface ResourceRule {
  apiGroups: string[];
  operations: string[];
  resources: string[];
}
interface Policy {
  spec: {
    matchConstraints: { resourceRules: ResourceRule[] };
    matchConditions: { name: string; expression: string }[];
    validations: { expression: string; messageExpression: string; reason: string }[];
  };
}
const manifests = parseAllDocuments(rendered).map((document) => document.toJS() as { kind?: string });
const policy = manifests.find((manifest) => manifest?.kind === 'ValidatingAdmissionPolicy') as
  | Policy
  | undefined;
const binding = manifests.find((manifest) => manifest?.kind === 'ValidatingAdmissionPolicyBinding') as
  | { spec: { policyName: string; validationActions: string[] } }
  | undefined;

const env = celEnv();
function compile(expression: string): (request: CelInput) => unknown {
  const program = plan(env, parse(expression));
  return (request) => program({ request });
}

interface Request {
  operation: string;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  namespace?: string;
  name: string;
  userInfo: { username: string; groups?: string[]; extra?: Record<string, string[]> };
}

type Outcome = { admitted: true; matched: boolean } | { admitted: false; message: string };

function admit(request: Request): Outcome {
  if (!policy) throw new Error('the chart rendered no ValidatingAdmissionPolicy');
  const resource = request.subResource
    ? `${request.resource.resource}/${request.subResource}`
    : request.resource.resource;
  const selected = policy.spec.matchConstraints.resourceRules.some(
    (rule) =>
      rule.apiGroups.includes(request.resource.group) &&
      rule.operations.includes(request.operation) &&
      rule.resources.includes(resource),
  );
  if (!selected) return { admitted: true, matched: false };
  const input = request as unknown as CelInput;
  for (const condition of policy.spec.matchConditions) {
    const result = compile(condition.expression)(input);
    if (isCelError(result)) throw new Error(`matchCondition ${condition.name}: ${String(result)}`);
    if (result !== true) return { admitted: true, matched: false };
  }
  for (const validation of policy.spec.validations) {
    const result = compile(validation.expression)(input);
    if (isCelError(result)) throw new Error(`validation: ${String(result)}`);
    if (result !== true) {
      const message = compile(validation.messageExpression)(input);
      if (typeof message !== 'string') throw new Error(`messageExpression gave ${String(message)}`);
      return { admitted: false, message };
    }
  }
  return { admitted: true, matched: true };
}

const agent = {
  username: 'gatehouse:agent:agent-oncall',
  groups: ['gatehouse:agents', 'system:authenticated'],
};
const approved = { 'gatehouse.dev/approval-id': ['01JAPPROVAL'], 'gatehouse.dev/approved-by': ['U0BOB'] };
const namespaceDelete = (userInfo: Request['userInfo']): Request => ({
  operation: 'DELETE',
  resource: { group: '', version: 'v1', resource: 'namespaces' },
  name: 'payments',
  userInfo,
});
const connect = (subResource: string, namespace: string, userInfo: Request['userInfo']): Request => ({
  operation: 'CONNECT',
  resource: { group: '', version: 'v1', resource: 'pods' },
  subResource,
  namespace,
  name: 'api-0',
  userInfo,
});

describe('the chart’s ValidatingAdmissionPolicy (admissionPolicy.enabled)', () => {
  it('is rendered with a binding that denies', () => {
    expect(policy).toBeDefined();
    expect(binding?.spec).toEqual({
      policyName: 'gatehouse-agents-need-approval',
      validationActions: ['Deny'],
    });
  });

  it('refuses an agent’s namespace delete without an approval id, and admits it with one', () => {
    expect(admit(namespaceDelete(agent))).toEqual({
      admitted: false,
      message:
        'Gatehouse: gatehouse:agent:agent-oncall may delete a namespace only as an approved request through the gateway (no gatehouse.dev/approval-id extra)',
    });
    expect(
      admit(namespaceDelete({ ...agent, extra: { 'gatehouse.dev/approved-by': ['U0BOB'] } })).admitted,
    ).toBe(false);
    expect(admit(namespaceDelete({ ...agent, extra: { 'gatehouse.dev/approval-id': [''] } })).admitted).toBe(
      false,
    );
    expect(admit(namespaceDelete({ ...agent, extra: approved }))).toEqual({ admitted: true, matched: true });
  });

  it('matches an agent by group alone (another user name in gatehouse:agents)', () => {
    expect(
      admit(namespaceDelete({ username: 'gatehouse:agent:other', groups: ['gatehouse:agents'] })).admitted,
    ).toBe(false);
    expect(admit(namespaceDelete({ username: 'gatehouse:agent:agent-oncall' })).admitted).toBe(false);
  });

  it('leaves people and other identities alone', () => {
    const admin = { username: 'alice@example.com', groups: ['system:masters', 'system:authenticated'] };
    expect(admit(namespaceDelete(admin))).toEqual({ admitted: true, matched: false });
    expect(admit(connect('exec', 'prod', admin))).toEqual({ admitted: true, matched: false });
    expect(
      admit(namespaceDelete({ username: 'system:serviceaccount:kube-system:namespace-controller' })),
    ).toEqual({
      admitted: true,
      matched: false,
    });
  });

  it('refuses an agent’s exec, attach and port-forward in production namespaces without an approval id', () => {
    for (const subResource of ['exec', 'attach', 'portforward']) {
      for (const namespace of ['prod', 'prod-payments', 'production', 'kube-system']) {
        const refused = admit(connect(subResource, namespace, agent));
        expect(refused).toEqual({
          admitted: false,
          message: `Gatehouse: gatehouse:agent:agent-oncall may use pods/${subResource} only as an approved request through the gateway (no gatehouse.dev/approval-id extra)`,
        });
        expect(admit(connect(subResource, namespace, { ...agent, extra: approved }))).toEqual({
          admitted: true,
          matched: true,
        });
      }
    }
  });

  it('does not refuse an exec the default policy lets through (outside connectNamespaces)', () => {
    expect(admit(connect('exec', 'staging', agent))).toEqual({ admitted: true, matched: false });
    expect(admit(connect('exec', 'productionish', agent))).toEqual({ admitted: true, matched: false });
  });

  it('does not select other operations on the same resources', () => {
    expect(admit({ ...namespaceDelete(agent), operation: 'CREATE' })).toEqual({
      admitted: true,
      matched: false,
    });
    expect(admit({ ...connect('log', 'prod', agent), operation: 'GET' })).toEqual({
      admitted: true,
      matched: false,
    });
  });
});
