import type { CallCheckStarted } from '../../service/caller-verification-service.ts';
import type { CallerRefusal } from '../../core/caller-verification.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Denial } from '../../core/admin-rules.ts';
import { isAdminRole, ROLES, type Role } from '../../core/directory-model.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import { isDirectoryWriteError, type DirectoryWriteError } from '../../core/directory-refusals.ts';
import {
  fieldProblem,
  REGISTRATIONS,
  type NewAccountInput,
  type PolicyFieldError,
  type Registration,
  type UserFilter,
} from '../../service/admin-service.ts';
import type { App } from '../../service/app.ts';
import type { GateCoverageReport } from '../../service/tenant-policy.ts';
import { GATE_FIELD_LIST } from '../../core/gate-policy.ts';
import { requireConsole } from '../account/session.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import {
  ConsoleForbiddenPage,
  ConsoleNotFoundPage,
  ConsoleProblemPage,
  PolicyPage,
  TempPasswordConfirmPage,
  TempPasswordResultPage,
  UserDetailPage,
  UsersPage,
  type ConsoleFrame,
} from './admin-views.tsx';
import { AddAccountPage } from './add-account-views.tsx';
import { missingWayText } from './caller-views.tsx';
import { denialText, directoryRefusedText, doneNoticeText, isDoneNotice } from './admin-text.tsx';

/** The 403 page of the console (not an admin / both methods not registered yet); other console plugins may use it. */
export function renderConsoleForbidden(
  _request: FastifyRequest,
  reply: FastifyReply,
  reason: 'not_admin' | 'methods_missing',
): FastifyReply {
  return sendHtml(reply, ConsoleForbiddenPage({ reason }), 403);
}

/** The signed-in admin as an `Actor` (only after `requireConsole`). */
export function consoleActor(request: FastifyRequest): Actor {
  return { kind: 'admin', account: request.auth!.account };
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The console's users and policy pages: `/admin` (list with search and filters), `/admin/users/:id`
 * (detail and actions: reset link, temporary password, unblock, pre-fill methods, role) and
 * `/admin/policy`. Every route is behind `requireConsole`; every action goes through
 * `app.admin`, which checks the rules. Another tenant's account answers exactly like an unknown
 * id (404).
 */
export async function adminPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin', 303);
    return sendHtml(
      reply,
      ConsoleProblemPage({
        ...(await frame(request, reply)),
        problem: { title: request.i18n.t('admin.csrf.title'), message: request.i18n.t('admin.csrf.message') },
        back: '/admin',
      }),
      403,
    );
  });
  const guard = requireConsole(renderConsoleForbidden);
  const post = { preHandler: [guard, csrfCheck.preHandler] };

  async function frame(request: FastifyRequest, reply: FastifyReply): Promise<ConsoleFrame> {
    const auth = request.auth!;
    return {
      tenantName: auth.tenant.name,
      activeAdmins: await app.admin.activeAdminCount(auth.tenant.id),
      csrf: reply.generateCsrf(),
    };
  }

  async function notFound(request: FastifyRequest, reply: FastifyReply) {
    return sendHtml(reply, ConsoleNotFoundPage(await frame(request, reply)), 404);
  }

  /** Shows the user's page again with a problem, or 404 when the account is not visible. */
  async function showUser(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    status: number,
    notice: string | null,
    problem: ProblemText | null,
    phrase: CallCheckStarted | null = null,
  ) {
    const user = await app.admin.getUser(consoleActor(request), id);
    if (!user.ok) return notFound(request, reply);
    const caller = await app.callers.status(consoleActor(request), user.value);
    // a directory account's lock, read from its directory now (built-in accounts: no directory asked)
    const lock = await app.admin.directoryLock(consoleActor(request), id);
    return sendHtml(
      reply,
      UserDetailPage({
        ...(await frame(request, reply)),
        user: user.value,
        notice,
        problem,
        directoryLock: lock.ok ? lock.value : null,
        caller,
        phrase,
        verifyCallUrl: `${app.config.public_url}/verify-call`,
        factorReset: canResetFactor(consoleActor(request), user.value),
      }),
      status,
    );
  }

  /** Another administrator (not oneself) this administrator may manage: the second factor reset is offered. */
  function canResetFactor(
    actor: ReturnType<typeof consoleActor>,
    user: { id: string; role: Role; permissions: { account: unknown } },
  ) {
    return (
      isAdminRole(user.role) &&
      user.permissions.account === null &&
      !(actor.kind === 'admin' && actor.account.id === user.id)
    );
  }

  /** A refused action: another tenant's account or an unknown id is 404; anything else, 403 with the reason. */
  async function refused(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    error: Denial | CallerRefusal | 'account_not_found' | 'no_methods' | 'mode_not_allowed' | DirectoryWriteError,
  ) {
    if (error === 'account_not_found' || error === 'other_tenant') return notFound(request, reply);
    const { t } = request.i18n;
    if (isDirectoryWriteError(error)) {
      return showUser(request, reply, id, ERROR_STATUS[error], null, directoryRefusedText(t, error));
    }
    return showUser(request, reply, id, ERROR_STATUS[error], null, denialText(t, error));
  }

  function idOf(request: FastifyRequest): string | null {
    const id = (request.params as Record<string, unknown>).id;
    return typeof id === 'string' && ID.test(id) ? id : null;
  }

  fastify.get('/admin', { preHandler: guard }, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).slice(0, 200) : '');
    const filter: UserFilter = {
      ...(str('q').trim() ? { search: str('q').trim() } : {}),
      ...(ROLES.includes(str('role') as Role) ? { role: str('role') as Role } : {}),
      ...(REGISTRATIONS.includes(str('registration') as Registration)
        ? { registration: str('registration') as Registration }
        : {}),
      ...(str('blocked') === 'yes' ? { blocked: true } : str('blocked') === 'no' ? { blocked: false } : {}),
      limit: 500,
    };
    const actor = consoleActor(request);
    const users = await app.admin.listUsers(actor, filter);
    const counts = await app.admin.userCounts(actor);
    const failed = await app.admin.failedMessages(actor);
    if (!users.ok || !counts.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    return sendHtml(
      reply,
      UsersPage({
        ...(await frame(request, reply)),
        users: users.value,
        counts: counts.value,
        filter,
        ...(failed.ok ? { failed: failed.value } : {}),
      }),
    );
  });

  // ---- add an account ------------------------------------------------------------------

  async function addAccountPage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: NewAccountInput,
    problems: readonly PolicyFieldError[],
    problem: ProblemText | null,
    status: number,
  ) {
    const auth = request.auth!;
    const roles: Role[] = auth.account.role === 'global_admin' ? [...ROLES] : ['user'];
    return sendHtml(
      reply,
      AddAccountPage({
        ...(await frame(request, reply)),
        domains: auth.tenant.domains,
        roles,
        values,
        problems,
        problem,
      }),
      status,
    );
  }

  fastify.get('/admin/users/new', { preHandler: guard }, async (request, reply) =>
    addAccountPage(request, reply, { login: '', name: '', role: 'user', email: '', phone: '' }, [], null, 200),
  );

  fastify.post('/admin/users', post, async (request, reply) => {
    const values: NewAccountInput = {
      login: formField(request.body, 'login', 320),
      name: formField(request.body, 'name', 200),
      role: formField(request.body, 'role', 20),
      email: formField(request.body, 'email', 320),
      phone: formField(request.body, 'phone', 40),
    };
    const result = await app.admin.addAccount(consoleActor(request), values, requestContext(request));
    if (result.ok) return reply.redirect(`/admin/users/${result.value.id}?done=created`, 303);
    if (result.error === 'account_invalid') {
      return addAccountPage(request, reply, values, 'fields' in result ? result.fields : [], null, 400);
    }
    if (result.error === 'needs_global_admin') {
      const problem = fieldProblem('role', 'admin.users.add.problem.needsGlobalAdmin');
      return addAccountPage(request, reply, values, [problem], null, 403);
    }
    return addAccountPage(request, reply, values, [], denialText(request.i18n.t, result.error), 403);
  });

  fastify.get('/admin/users/:id', { preHandler: guard }, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const done = (request.query as Record<string, unknown>)?.done;
    const notice = isDoneNotice(done) ? doneNoticeText(request.i18n.t, done) : null;
    return showUser(request, reply, id, 200, notice, null);
  });

  fastify.post('/admin/users/:id/reset-link', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const result = await app.admin.assistedReset(consoleActor(request), id, 'link', requestContext(request));
    if (!result.ok) return refused(request, reply, id, result.error);
    return reply.redirect(`/admin/users/${id}?done=link_sent`, 303);
  });

  fastify.get('/admin/users/:id/temp-password', { preHandler: guard }, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const user = await app.admin.getUser(consoleActor(request), id);
    if (!user.ok) return notFound(request, reply);
    if (user.value.permissions.credentials) return refused(request, reply, id, user.value.permissions.credentials);
    // a directory that skips its history on resets: say so before the admin sets a password there
    const rules = await app.directoryHealth?.passwordRules(user.value.tenantId);
    return sendHtml(
      reply,
      TempPasswordConfirmPage({
        ...(await frame(request, reply)),
        user: user.value,
        historyNotOnReset: rules?.historyOnReset === false,
      }),
    );
  });

  fastify.post('/admin/users/:id/temp-password', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    if (formField(request.body, 'confirm', 10) !== 'yes')
      return reply.redirect(`/admin/users/${id}/temp-password`, 303);
    const actor = consoleActor(request);
    const result = await app.admin.assistedReset(actor, id, 'temp_password', requestContext(request));
    if (!result.ok) return refused(request, reply, id, result.error);
    if (result.value.mode !== 'temp_password') throw new Error('unexpected assisted reset outcome');
    const user = await app.admin.getUser(actor, id);
    if (!user.ok) return notFound(request, reply);
    // shown once: this response is not cached (Cache-Control: no-store on every page) and the password is not logged
    return sendHtml(
      reply,
      TempPasswordResultPage({
        ...(await frame(request, reply)),
        user: user.value,
        tempPassword: result.value.tempPassword,
        expiresAt: result.value.expiresAt,
      }),
    );
  });

  // ---- caller verification and the reverse check (core/caller-verification.ts) -----------

  fastify.post('/admin/users/:id/verify-caller', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const result = await app.callers.start(consoleActor(request), id, requestContext(request));
    if (result.ok) return reply.redirect(`/admin/users/${id}?done=caller_sent`, 303);
    if (result.error === 'sending_limited') {
      const { t } = request.i18n;
      return showUser(request, reply, id, 429, null, {
        title: t('caller.sendingLimit.title'),
        message: t('caller.sendingLimit.message'),
      });
    }
    return refused(request, reply, id, result.error);
  });

  // the other ways: the caller reads their authenticator app's code, or uses their passkey on the
  // public page (the console shows the ticket while it is open); nothing is sent
  for (const way of ['authenticator', 'passkey'] as const) {
    fastify.post(`/admin/users/:id/verify-caller/${way}`, post, async (request, reply) => {
      const id = idOf(request);
      if (!id) return notFound(request, reply);
      const result = await app.callers.startByWay(consoleActor(request), id, way, requestContext(request));
      if (result.ok) return reply.redirect(`/admin/users/${id}#caller-title`, 303);
      if (result.error === 'no_authenticator' || result.error === 'no_passkey') {
        return showUser(request, reply, id, 409, null, missingWayText(request, result.error));
      }
      return refused(request, reply, id, result.error === 'sending_limited' ? 'not_allowed' : result.error);
    });
  }

  fastify.post('/admin/users/:id/verify-caller/confirm', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const code = formField(request.body, 'code', 20);
    const result = await app.callers.confirm(consoleActor(request), id, code, requestContext(request));
    if (result.ok) return reply.redirect(`/admin/users/${id}?done=caller_verified`, 303);
    if (result.error === 'account_not_found' || result.error === 'other_tenant') return notFound(request, reply);
    const { t } = request.i18n;
    return showUser(request, reply, id, 400, null, {
      title: t('caller.invalid.title'),
      message: t('caller.invalid.message'),
    });
  });

  fastify.post('/admin/users/:id/call-check', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const me = request.auth!.account;
    const agent = `${me.displayName} (${me.login})`;
    const result = await app.callers.startCallCheck(consoleActor(request), id, agent, requestContext(request));
    if (!result.ok) return refused(request, reply, id, result.error);
    return showUser(request, reply, id, 200, null, null, result.value);
  });

  fastify.post('/admin/users/:id/unblock', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const result = await app.admin.unblock(consoleActor(request), id, requestContext(request));
    if (!result.ok) return refused(request, reply, id, result.error);
    return reply.redirect(`/admin/users/${id}?done=unblocked`, 303);
  });

  fastify.post('/admin/users/:id/second-factor/reset', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const result = await app.admin.resetSecondFactor(consoleActor(request), id, requestContext(request));
    if (!result.ok)
      return refused(request, reply, id, result.error === 'not_administrator' ? 'not_allowed' : result.error);
    return reply.redirect(`/admin/users/${id}?done=factor_reset`, 303);
  });

  fastify.post('/admin/users/:id/unlock', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const result = await app.admin.unlockInDirectory(consoleActor(request), id, 'console', requestContext(request));
    if (!result.ok) {
      if (result.error === 'not_directory_account')
        return showUser(request, reply, id, ERROR_STATUS[result.error], null, {
          title: request.i18n.t('admin.unlock.notDirectory.title'),
          message: request.i18n.t('admin.unlock.notDirectory.message'),
        });
      return refused(request, reply, id, result.error);
    }
    return reply.redirect(`/admin/users/${id}?done=unlocked`, 303);
  });

  fastify.post('/admin/users/:id/methods', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const actor = consoleActor(request);
    const values = {
      email: formField(request.body, 'email', 320).trim(),
      phone: formField(request.body, 'phone', 40).trim(),
    };
    if (!values.email && !values.phone) {
      return showUser(request, reply, id, 400, null, {
        title: request.i18n.t('admin.users.problem.nothingToSave.title'),
        message: request.i18n.t('admin.users.problem.nothingToSave.message'),
      });
    }
    for (const kind of ['email', 'phone'] as const) {
      if (!values[kind]) continue;
      const result = await app.admin.prefillMethod(actor, id, kind, values[kind], requestContext(request));
      if (!result.ok) {
        if (result.error === 'email_invalid' || result.error === 'phone_invalid') {
          const { t } = request.i18n;
          return showUser(request, reply, id, 400, null, {
            title: t(kind === 'email' ? 'admin.users.problem.email.title' : 'admin.users.problem.phone.title'),
            message: t(kind === 'email' ? 'admin.users.problem.email.message' : 'admin.users.problem.phone.message'),
          });
        }
        return refused(request, reply, id, result.error);
      }
    }
    return reply.redirect(`/admin/users/${id}?done=methods`, 303);
  });

  fastify.post('/admin/users/:id/role', post, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(request, reply);
    const role = formField(request.body, 'role', 20) as Role;
    if (!ROLES.includes(role))
      return showUser(request, reply, id, 400, null, {
        title: request.i18n.t('admin.users.problem.role.title'),
        message: request.i18n.t('admin.users.add.problem.role'),
      });
    const result = await app.admin.setRole(consoleActor(request), id, role, requestContext(request));
    if (!result.ok) return refused(request, reply, id, result.error);
    return reply.redirect(`/admin/users/${id}?done=role`, 303);
  });

  fastify.get('/admin/policy', { preHandler: guard }, async (request, reply) => {
    const policy = await app.admin.getPolicy(consoleActor(request));
    if (!policy.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    const saved = (request.query as Record<string, unknown>)?.saved === '1';
    const coverage = await app.admin.gateCoverage(consoleActor(request));
    return sendHtml(
      reply,
      PolicyPage({
        ...(await frame(request, reply)),
        policy: policy.value,
        values: null,
        problems: [],
        saved,
        coverage: coverage.ok ? coverage.value : null,
        proposedCoverage: null,
      }),
    );
  });

  fastify.post('/admin/policy', post, async (request, reply) => {
    const actor = consoleActor(request);
    const current = await app.admin.getPolicy(actor);
    if (!current.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    const fields = [
      ...GATE_FIELD_LIST.map((f) => f.field),
      'passwordMinLength',
      'helpdeskUrl',
      'helpdeskEmail',
      'senderName',
      'smsDailyBudget',
      'smsCountries',
    ];
    for (const extra of ['coolingOffHours', 'reconfirmDays']) if (extra in current.value) fields.push(extra);
    const input: Record<string, string> = {};
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const f of fields) {
      const v = body[f];
      // the methods' checkboxes come as a list (a hidden empty one first, so none ticked is sent too)
      if (Array.isArray(v))
        input[f] = v
          .filter((x): x is string => typeof x === 'string')
          .join(' ')
          .slice(0, 500);
      else if (typeof v === 'string') input[f] = formField(body, f, 500);
    }
    const coverage = await app.admin.gateCoverage(actor);
    const page = async (problems: readonly PolicyFieldError[], proposed: GateCoverageReport | null) =>
      PolicyPage({
        ...(await frame(request, reply)),
        policy: current.value,
        values: input,
        problems,
        saved: false,
        coverage: coverage.ok ? coverage.value : null,
        proposedCoverage: proposed,
      });
    if (body.check === '1') {
      // "check who could reset": the coverage of the edit, nothing saved
      const proposed = await app.admin.gateCoverage(actor, input);
      return sendHtml(reply, await page([], proposed.ok ? proposed.value : null));
    }
    const result = await app.admin.updatePolicy(actor, input, requestContext(request));
    if (result.ok) return reply.redirect('/admin/policy?saved=1', 303);
    if (result.error !== 'policy_invalid') return renderConsoleForbidden(request, reply, 'not_admin');
    const problems = 'fields' in result ? result.fields : [];
    return sendHtml(reply, await page(problems, null), 400);
  });
}
