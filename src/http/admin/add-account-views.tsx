import type { VNode } from 'preact';
import { ROLES, type Role } from '../../core/directory-model.ts';
import type { NewAccountInput } from '../../service/admin-service.ts';
import type { PolicyFieldError } from '../../service/admin-service.ts';
import { AdminLayout } from './admin-layout.tsx';
import { ProblemBox, ROLE_LABELS, type ConsoleFrame } from './admin-views.tsx';
import type { ProblemText } from '../../core/ui-text.ts';

const LABELS: Readonly<Record<keyof NewAccountInput, string>> = {
  login: 'User ID',
  name: 'Name',
  role: 'Role',
  email: 'Alternate email (optional)',
  phone: 'Mobile phone (optional)',
};

/** The console's "Add an account" form; shown again with each problem next to its field. */
export function AddAccountPage(
  p: ConsoleFrame & {
    readonly domains: readonly string[];
    /** Roles the signed-in admin may give (a tenant admin: users only). */
    readonly roles: readonly Role[];
    readonly values: NewAccountInput;
    readonly problems: readonly PolicyFieldError[];
    /** A refusal that is about no field (the rules). */
    readonly problem?: ProblemText | null;
  },
): VNode {
  const problemOf = (field: string) => p.problems.find((x) => x.field === field) ?? null;
  const describedBy = (field: string, hint: boolean) =>
    [hint ? `${field}-hint` : '', problemOf(field) ? `${field}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const FieldProblem = ({ field }: { field: string }) => {
    const problem = problemOf(field);
    return problem ? (
      <span class="field-problem" id={`${field}-problem`}>
        {problem.message}
      </span>
    ) : null;
  };
  const text = (field: 'login' | 'name' | 'email' | 'phone', hint: string, attrs: Record<string, unknown>) => (
    <div class="field">
      <label for={field}>{LABELS[field]}</label>
      <span class="hint" id={`${field}-hint`}>
        {hint}
      </span>
      <FieldProblem field={field} />
      <input
        id={field}
        name={field}
        value={p.values[field]}
        aria-describedby={describedBy(field, true)}
        aria-invalid={problemOf(field) ? 'true' : undefined}
        {...attrs}
      />
    </div>
  );
  const roles = ROLES.filter((r) => p.roles.includes(r));
  return (
    <AdminLayout title="Add an account" section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>Add an account</h1>
      <ProblemBox problem={p.problem ?? null} />
      {p.problems.length > 0 ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">Check these fields</h2>
          <ul>
            {p.problems.map((x) => (
              <li key={x.field}>
                <a href={`#${x.field}`}>{LABELS[x.field as keyof NewAccountInput] ?? x.field}</a>: {x.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p>
        The person gets no password: they set one with the self-service reset, or you send them a reset link from their
        page. Contact methods you enter here are recorded as verified.
      </p>
      <form method="post" action="/admin/users" class="stack" novalidate>
        <input type="hidden" name="_csrf" value={p.csrf} />
        {text('login', `Their work email address, ending in ${p.domains.map((d) => `@${d}`).join(' or ')}.`, {
          type: 'text',
          inputMode: 'email',
          autoComplete: 'off',
          autoCapitalize: 'none',
          spellcheck: false,
          required: true,
          maxLength: 320,
        })}
        {text('name', 'As it should appear in messages, like Ada Lovelace.', {
          type: 'text',
          autoComplete: 'off',
          required: true,
          maxLength: 100,
        })}
        <div class="field">
          <label for="role">{LABELS.role}</label>
          <span class="hint" id="role-hint">
            {roles.length > 1
              ? 'Administrators must register both an alternate email and a mobile phone.'
              : 'Only a global administrator can add administrators.'}
          </span>
          <FieldProblem field="role" />
          <select id="role" name="role" aria-describedby={describedBy('role', true)}>
            {roles.map((r) => (
              <option key={r} value={r} selected={p.values.role === r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        {text('email', 'A personal address for reset codes, like name@example.com.', {
          type: 'email',
          autoComplete: 'off',
          maxLength: 320,
        })}
        {text('phone', 'With the country code, like +447700900123.', {
          type: 'tel',
          autoComplete: 'off',
          maxLength: 40,
        })}
        <button type="submit">Add account</button>
      </form>
      <p>
        <a href="/admin">Back to users</a>
      </p>
    </AdminLayout>
  );
}
