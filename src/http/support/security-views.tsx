import type { VNode } from 'preact';
import type { OperatorPasskeyItem } from '../../service/console-factor/operator-passkeys.ts';
import { RegenerateCodesForm } from '../account/console-step-views.tsx';
import { PasskeySection } from '../account/passkey-views.tsx';
import { useI18n } from '../views/i18n-context.tsx';
import { SupportLayout } from './support-views.tsx';

export interface SupportSecurityProps {
  readonly operatorName: string;
  readonly csrf: string;
  readonly passkeys: readonly OperatorPasskeyItem[];
  readonly recoveryCodesLeft: number;
  /** After a registration or a removal. */
  readonly notice: 'added' | 'removed' | null;
}

/**
 * The support console's security page: the operator's passkeys for the console's second step
 * (each with Remove; "Add a passkey" opens the registration page, the accounts' page with the
 * operator's words) and a new set of recovery codes.
 */
export function SupportSecurityPage(p: SupportSecurityProps): VNode {
  return <SupportSecurity {...p} />;
}

function SupportSecurity(p: SupportSecurityProps): VNode {
  const { t } = useI18n();
  const title = t('support.security.title');
  return (
    <SupportLayout title={title} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>{title}</h1>
      {p.notice ? (
        <p class="success" role="status">
          {t(p.notice === 'added' ? 'support.security.added' : 'support.security.removed')}
        </p>
      ) : null}
      <PasskeySection
        passkeys={p.passkeys}
        csrf={p.csrf}
        base="/support/security/passkeys"
        intro="support.security.passkeyIntro"
      />
      <RegenerateCodesForm action="/support/recovery-codes" csrf={p.csrf} left={p.recoveryCodesLeft} />
    </SupportLayout>
  );
}
