import { Type } from 'typebox';
import { NewPassword } from '../users/index.js';

// Logins accept any short string: telling a caller which rule a guess broke helps nobody.
const LoginField = Type.String({ minLength: 1, maxLength: 128 });

// FastAPI's OAuth2PasswordRequestForm: the form fields of RFC 6749 §4.3.2.
export const TokenRequest = Type.Object(
  {
    username: LoginField,
    password: LoginField,
    grant_type: Type.Optional(Type.String({ pattern: '^password$' })),
    scope: Type.Optional(Type.String({ maxLength: 1000 })),
    client_id: Type.Optional(Type.String({ maxLength: 1000 })),
    client_secret: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { title: 'TokenRequest' },
);

export const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires at the latest' }),
  },
  { title: 'Token', description: 'A bearer token' },
);

export const Credentials = Type.Object({ username: LoginField, password: LoginField }, { title: 'Credentials' });
export const PasswordChange = Type.Object({ current_password: LoginField, new_password: NewPassword }, { title: 'PasswordChange' });
export const PasswordConfirm = Type.Object({ password: LoginField }, { title: 'PasswordConfirm' });

/** How long a password-reset link works (community.md: 30 minutes). */
export const RESET_TOKEN_MINUTES = 30;

export const PasswordResetRequest = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254, description: 'The email of the account' }) },
  { title: 'PasswordResetRequest' },
);
export const PasswordResetAccepted = Type.Object(
  { detail: Type.String() },
  { title: 'PasswordResetAccepted', description: 'Always the same answer, whether or not an account has the address' },
);
export const PasswordResetConfirm = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200, description: 'The token of the emailed link' }), new_password: NewPassword },
  { title: 'PasswordResetConfirm' },
);
