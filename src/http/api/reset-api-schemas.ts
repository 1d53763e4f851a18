import { z } from 'zod';
import type { FlowState } from '../../core/reset-flow.ts';
import type { FlowView } from '../../service/reset-service.ts';

/**
 * The JSON shapes of the reset API (`/api/v1/reset/…`), as zod schemas: they validate request
 * bodies, serialize responses (unknown keys are stripped on the way out too) and produce the
 * OpenAPI document. Request objects strip unknown keys: an `accountId`, `tenantId`, `email`,
 * `phone` or `login` sent where it does not belong is dropped before the handler sees the body;
 * the flow is identified by the `X-Flow-Secret` header alone.
 *
 * Schemas with an `id` become `#/components/schemas/<id>` in the document; they live in a
 * registry of their own so that other plugins' schemas cannot collide with them.
 */
export const resetApiRegistry = z.registry<{ id?: string; description?: string }>();

function named<T extends z.ZodType>(schema: T, id: string, description: string): T {
  resetApiRegistry.add(schema, { id, description });
  return schema;
}

const FLOW_STATES = [
  'email_code',
  'phone_number',
  'sms_code',
  'totp_code',
  'passkey_check',
  'new_password',
  'completed',
  'unlocked',
  'expired',
] as const satisfies readonly FlowState[];
// fails to compile when core/reset-flow gains a state this list lacks
const _allStates: Record<FlowState, true> = Object.fromEntries(FLOW_STATES.map((s) => [s, true])) as Record<
  (typeof FLOW_STATES)[number],
  true
>;
void _allStates;

const epochMs = z.number().int().describe('Milliseconds since 1970-01-01T00:00:00Z.');

export const FlowViewSchema = named(
  z.object({
    flowId: z.string().describe('The flow id: the part before the dot in X-Flow-Secret.'),
    state: z.enum(FLOW_STATES).describe('Which step the flow waits for.'),
    step: z.number().int().describe('The current step, from 1.'),
    stepsTotal: z
      .number()
      .int()
      .nullable()
      .describe('How many steps in all; null until the first gate passed (it would reveal the role).'),
    expiresAt: epochMs.describe('When the whole reset expires (60 minutes after the first message), in ms.'),
    maskedEmail: z.string().describe('The alternate email the code was sent to, masked.'),
    maskedPhone: z.string().nullable().describe('The mobile number on file, masked; only once the email gate passed.'),
    canUsePhone: z
      .boolean()
      .describe(
        '`POST /api/v1/reset/flow/use-phone` may switch to an SMS code. Before the first gate passed, each `canUse…` is true only for a method the organisation’s gate policy counts for the account’s class (an unknown login is offered what a user is); another is refused with `wrong_step`.',
      ),
    canUseAuthenticator: z
      .boolean()
      .describe('`POST /api/v1/reset/flow/use-authenticator` may switch to a code from an authenticator app.'),
    canUsePasskey: z
      .boolean()
      .describe(
        '`POST /api/v1/reset/flow/use-passkey` may switch to a passkey: `GET /flow/passkey/options`, then `POST /flow/passkey` with the assertion.',
      ),
    canGoBackToEmail: z.boolean(),
    resendAvailableAt: epochMs.nullable().describe('When `resend` is allowed again; null when it is allowed now.'),
    codesLeft: z.number().int().describe('How many more codes this flow may send.'),
    passwordMinLength: z.number().int(),
    canUnlock: z
      .boolean()
      .describe(
        "On the new-password step of an account whose password lives in the organisation's directory: `POST /api/v1/reset/flow/unlock` may end the reset by unlocking the account, keeping its password.",
      ),
    helpdesk: z.object({ url: z.string().nullable(), email: z.string().nullable() }),
    directoryRules: z
      .object({
        minLength: z.number().int().nullable(),
        complexity: z.boolean().nullable(),
        history: z.number().int().nullable(),
        minAgeMs: z.number().nullable(),
        historyOnReset: z.boolean().nullable(),
      })
      .nullable()
      .optional()
      .describe(
        "On the new-password step of an account whose password lives in the organisation's directory: the rules the directory applies (null when it could not say). `historyOnReset` false: the directory skips its history on resets.",
      ),
  }),
  'ResetFlowView',
  'Where a reset flow is and what the client may show. Never contains a secret.',
);
// the schema must describe every field of the service's view
const _viewCheck: z.infer<typeof FlowViewSchema> extends FlowView ? true : never = true;
void _viewCheck;

export const flowSecretField = z
  .string()
  .describe(
    'The rotated flow secret. Send `X-Flow-Secret: <flowId>.<flowSecret>` on the next call; the previous secret stops working 30 s later.',
  );

export const ChallengeSchema = named(
  z.looseObject({
    parameters: z.looseObject({}),
    signature: z.string(),
  }),
  'AltchaChallenge',
  'An ALTCHA proof-of-work challenge (protocol v2). Solve it with altcha-lib or the ALTCHA widget and send the base64 payload as `altcha`.',
);

export const StartBodySchema = named(
  z.object({
    login: z.string().max(512).describe('The user ID, like name@company.com.'),
    altcha: z.string().max(8_192).describe('The solved ALTCHA payload (base64 JSON), usable once.'),
  }),
  'ResetStartRequest',
  'Starts a reset. The answer is the same whether or not the account exists.',
);

/** Present while email or SMS has been failing for over a minute; the same for every login. */
export const MessagesDelayedSchema = named(
  z.object({
    code: z.literal('messages_delayed'),
    channels: z.array(z.enum(['email', 'sms'])).describe('The channels that are failing.'),
    title: z.string(),
    message: z.string().describe('What to do meanwhile: another channel, waiting, or the administrator.'),
  }),
  'ResetMessagesDelayed',
  'Messages are delayed: a delivery channel has been failing for over a minute (nothing about the account).',
);

const noticeField = MessagesDelayedSchema.optional();

export const StartResponseSchema = named(
  z.object({
    flowId: z.string(),
    flowSecret: flowSecretField,
    flow: FlowViewSchema,
    notice: noticeField,
  }),
  'ResetStartResponse',
  'A new flow. Send `X-Flow-Secret: <flowId>.<flowSecret>` on every later call.',
);

export const FlowResponseSchema = named(
  z.object({ flow: FlowViewSchema, notice: noticeField }),
  'ResetFlowResponse',
  'The flow.',
);

export const StepResponseSchema = named(
  z.object({ flowSecret: flowSecretField, flow: FlowViewSchema, notice: noticeField }),
  'ResetStepResponse',
  'The flow after a successful step, with the secret to use next (rotated by every step that moves the flow; the same one when the step did not move it, like `resend`).',
);

export const CodeBodySchema = named(
  z.object({ code: z.string().max(64).describe('The 6-digit security code, as a string (leading zeros count).') }),
  'ResetCodeRequest',
  'A security code from the email or the SMS.',
);

export const PhoneBodySchema = named(
  z.object({ phone: z.string().max(64).describe('The full mobile number on file, with its country code.') }),
  'ResetPhoneRequest',
  'The mobile number on file, typed in full; the SMS goes out only when it matches (the answer is the same either way).',
);

export const PasskeyOptionsResponseSchema = named(
  z.object({
    options: z
      .record(z.string(), z.unknown())
      .describe(
        'WebAuthn `PublicKeyCredentialRequestOptionsJSON` for `navigator.credentials.get` (after decoding `challenge` from base64url): a new 32-byte challenge bound to this flow, valid 5 minutes and once; `rpId` the public URL’s host; `userVerification: required`; no `allowCredentials` (the answer reveals nothing about the login).',
      ),
  }),
  'ResetPasskeyOptions',
  'The options of the flow’s passkey step.',
);

export const PasskeyBodySchema = named(
  z.object({
    credential: z
      .record(z.string(), z.unknown())
      .describe(
        'The authenticator’s assertion as WebAuthn `AuthenticationResponseJSON` (`id`, `rawId`, `type: public-key`, `response.{clientDataJSON, authenticatorData, signature, userHandle}` in base64url).',
      ),
  }),
  'ResetPasskeyRequest',
  'A passkey’s answer to the flow’s challenge.',
);

export const PasswordBodySchema = named(
  z.object({
    password: z.string().max(1_024).describe('The new password.'),
    confirm: z.string().max(1_024).describe('The new password again.'),
  }),
  'ResetPasswordRequest',
  'The new password, typed twice.',
);

export const LinkBodySchema = named(
  z.object({ token: z.string().max(256).describe('The `t` parameter of the link in the email.') }),
  'ResetLinkRequest',
  'Consumes the email link, only with the X-Flow-Secret of the flow that received it.',
);

export const ErrorBodySchema = named(
  z.object({
    error: z.object({
      code: z.string().describe('A stable error code, e.g. `invalid_code`, `flow_not_found`, `invalid_request`.'),
      message: z.string().describe('Words for a person.'),
      requestId: z.string().describe('Quote this when asking for help.'),
    }),
  }),
  'Error',
  'An error.',
);
