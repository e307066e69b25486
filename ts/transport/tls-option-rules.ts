/** What `tls` (TlsOptions, for encryption 'SSL') may hold, checked one level down from the node's options. */
import type { OptionRules } from '../base/check-options';
import { boolean, func, oneOf, pem, pemList } from '../base/option-rules';
import type { TlsOptions } from './transport';

export const tlsOptionRules: OptionRules<TlsOptions> = {
  key: pem,
  cert: pem,
  ca: pemList,
  rejectUnauthorized: boolean,
  checkServerIdentity: func,
  pinning: oneOf(['opportunistic', 'required', 'off']),
};
