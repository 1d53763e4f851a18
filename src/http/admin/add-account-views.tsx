import type { VNode } from 'preact';
import { ROLES, type Role } from '../../core/directory-model.ts';
import type { MessageId } from '../../core/i18n.ts';
import type { NewAccountInput } from '../../service/admin-service.ts';
import type { PolicyFieldError } from '../../service/admin-service.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import { useI18n } from '../views/i18n-context.tsx';
import { AdminLayout } from './admin-layout.tsx';
import { orList } from './admin-text.tsx';
import { ProblemBox, ROLE_LABELS, useFieldProblem, type ConsoleFrame } from './admin-views.tsx';

const LABELS: Readonly<Record<keyof NewAccountInput, MessageId>> = {
  login: 'admin.users.field.login',
  name: 'admin.users.field.name',
  role: 'admin.users.field.role',
  email: 'admin.users.add.emailLabel',
  phone: 'admin.users.add.phoneLabel',
};

interface AddAccountProps extends ConsoleFrame {
  readonly domains: readonly string[];
  /** Roles the signed-in admin may give (a tenant admin: users only). */
  readonly roles: readonly Role[];
  readonly values: NewAccountInput;
  readonly problems: readonly PolicyFieldError[];
  /** A refusal that is about no field (the rules), already in the page's language. */
  readonly problem?: ProblemText | null;
}

/** The console's "Add an account" form; shown again with each problem next to its field. */
export function AddAccountPage(p: AddAccountProps): VNode {
  return <AddAccount {...p} />;
}

function AddAccount(p: AddAccountProps): VNode {
  const { t, locale } = useI18n();
  const domains = orList(
    p.domains.map((d) => `@${d}`),
    locale,
  );
  const fieldProblem = useFieldProblem();
  const problemText = (x: PolicyFieldError) => fieldProblem(x, { domains });
  const label = (field: string) => (field in LABELS ? t(LABELS[field as keyof NewAccountInput]) : field);
  const problemOf = (field: string) => p.problems.find((x) => x.field === field) ?? null;
  const describedBy = (field: string, hint: boolean) =>
    [hint ? `${field}-hint` : '', problemOf(field) ? `${field}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const FieldProblem = ({ field }: { field: string }) => {
    const problem = problemOf(field);
    return problem ? (
      <span class="field-problem" id={`${field}-problem`}>
        {problemText(problem)}
      </span>
    ) : null;
  };
  const text = (field: 'login' | 'name' | 'email' | 'phone', hint: string, attrs: Record<string, unknown>) => (
    <div class="field">
      <label for={field}>{label(field)}</label>
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
    <AdminLayout
      title={t('admin.users.add.title')}
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.users.add.title')}</h1>
      <ProblemBox problem={p.problem ?? null} />
      {p.problems.length > 0 ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">{t('admin.users.add.checkFields')}</h2>
          <ul>
            {p.problems.map((x) => (
              <li key={x.field}>
                <a href={`#${x.field}`}>{label(x.field)}</a>
                {t('admin.fieldProblemSeparator')}
                {problemText(x)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p>{t('admin.users.add.intro')}</p>
      <form method="post" action="/admin/users" class="stack" novalidate>
        <input type="hidden" name="_csrf" value={p.csrf} />
        {text('login', t('admin.users.add.loginHint', { domains }), {
          type: 'text',
          inputMode: 'email',
          autoComplete: 'off',
          autoCapitalize: 'none',
          spellcheck: false,
          required: true,
          maxLength: 320,
        })}
        {text('name', t('admin.users.add.nameHint'), {
          type: 'text',
          autoComplete: 'off',
          required: true,
          maxLength: 100,
        })}
        <div class="field">
          <label for="role">{label('role')}</label>
          <span class="hint" id="role-hint">
            {roles.length > 1 ? t('admin.users.add.roleHintAdmins') : t('admin.users.add.roleHintUsersOnly')}
          </span>
          <FieldProblem field="role" />
          <select id="role" name="role" aria-describedby={describedBy('role', true)}>
            {roles.map((r) => (
              <option key={r} value={r} selected={p.values.role === r}>
                {t(ROLE_LABELS[r])}
              </option>
            ))}
          </select>
        </div>
        {text('email', t('admin.users.add.emailHint'), {
          type: 'email',
          autoComplete: 'off',
          maxLength: 320,
        })}
        {text('phone', t('admin.users.add.phoneHint'), {
          type: 'tel',
          autoComplete: 'off',
          maxLength: 40,
        })}
        <button type="submit">{t('admin.users.add.submit')}</button>
      </form>
      <p>
        <a href="/admin">{t('admin.users.backToUsers')}</a>
      </p>
    </AdminLayout>
  );
}
