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
