/**
 * The users module: accounts (the `users` table), registration, the caller, public profiles.
 * What other modules and the command line may use of it is exported here, and only here.
 */
export { default as userRoutes } from './routes.js';
// insertUser takes a hash already made: `seed --demo` hashes one password for all its users.
export { findCredentials, findPasswordHash, findUserByEmail, findUserById, findUserByName, findUsersByIds, insertUser, searchUserIds, setPasswordHash, setRole, updateProfile, userExists } from './data.js';
export { type Account, Email, NewPassword, ProfilePatch, User, UserCreate, Username, isNewPassword, isUsername } from './schemas.js';
export { changeProfile, createUser, deleteAccount, findUserWithEmail } from './service.js';
