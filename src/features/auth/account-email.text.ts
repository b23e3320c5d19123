/** What the sign-up, sign-in, reset and confirmation pages tell people about email steps (one place). */
export const ACCOUNT_EMAIL_TEXT = {
  signUpReadyFlash: "Thanks for signing up. Sign in with your email and the password you chose.",
  checkInboxTitle: "Check your inbox",
  checkInbox:
    "If this address can be used for a new account, we sent a link to it. Follow the link to confirm your address, then sign in. It expires in 24 hours.",
  resendSent: "If that address has an account waiting for confirmation, we sent a new link. Check your inbox (and spam folder).",
  requestedTitle: "Request received",
  requested: "Thanks! An administrator reviews new accounts on this server. You can sign in once your request is approved.",
  requestedByEmail: "We will email you the decision.",
  unverifiedSignIn: "Confirm your email address first: follow the link we sent when you signed up.",
  pendingSignIn: "Your sign-up request is waiting for an administrator's approval.",
  rejectedSignIn: "Your sign-up request was declined.",
  verified: "Your email address is confirmed. Sign in to continue.",
  verifyLinkDead: "This confirmation link is invalid, expired or already used. Sign in, or ask for a new link below.",
  forgotSent: "If an account uses that address, we sent a link to choose a new password. It works once and expires in 1 hour.",
  forgotNoEmail: "This server cannot send email. Ask a platform administrator for a password reset link.",
  resetDone: "Your password was changed and every session was signed out. Sign in with the new password.",
  resetLinkDead: "This password reset link is invalid, expired or already used. Ask for a new one.",
} as const;
