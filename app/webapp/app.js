"use strict";
// The pages links in our mail open. Each finishes its action with the mailed token through
// the GraphQL API, after a click: mail scanners open links, and opening one must not act.

const ERRORS = "errors { field code message }";

const PAGES = {
  verify: {
    title: "Confirm your email address",
    button: "Confirm my address",
    field: "verifyEmail",
    query: `mutation VerifyEmail($input: VerifyEmailInput!) {
      verifyEmail(input: $input) { user { id email emailVerified } ${ERRORS} } }`,
    done: (payload) => `${payload.user.email} is confirmed. You can close this page.`,
  },
  "reset-password": {
    title: "Choose a new password",
    button: "Set the new password",
    field: "resetPassword",
    password: true,
    query: `mutation ResetPassword($input: ResetPasswordInput!) {
      resetPassword(input: $input) { user { id } ${ERRORS} } }`,
    done: () => "Your password is changed and every session has ended: log in again.",
  },
  "confirm-deletion": {
    title: "Delete your account",
    button: "Delete my account",
    field: "confirmAccountDeletion",
    query: `mutation ConfirmAccountDeletion($input: ConfirmAccountDeletionInput!) {
      confirmAccountDeletion(input: $input) {
        accountDeletion { status scheduledErasureAt } blockers { reason } ${ERRORS} } }`,
    done: (payload) =>
      payload.blockers && payload.blockers.length
        ? `The account cannot be deleted yet: ${payload.blockers.map((b) => b.reason).join(", ")}.`
        : "Your account is deactivated; its personal data will be erased after the grace period. " +
          "The cancel link of the same mail keeps it until then.",
  },
  "cancel-deletion": {
    title: "Keep your account",
    button: "Keep my account",
    field: "cancelAccountDeletion",
    query: `mutation CancelAccountDeletion($input: CancelAccountDeletionInput!) {
      cancelAccountDeletion(input: $input) { accountDeletion { status } ${ERRORS} } }`,
    done: () => "Your account is kept. You can log in again.",
  },
};

const PAYOUT_MESSAGES = {
  done: "Payout onboarding is finished. Once Stripe confirms it, me.payoutStatus reads READY.",
  expired: "This onboarding link has expired: ask for a new one with startPayoutOnboarding.",
};

function show(text) {
  document.getElementById("message").textContent = text;
}

async function send(page, input) {
  const response = await fetch(new URL("../graphql", window.location.href), {
    method: "POST",
    // The mailed token is the authority here, never a session cookie.
    credentials: "omit",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
    },
    body: JSON.stringify({ query: page.query, variables: { input } }),
  });
  const answer = await response.json();
  if (answer.errors && answer.errors.length) {
    throw new Error(answer.errors[0].message);
  }
  const payload = answer.data[page.field];
  if (payload.errors.length) {
    throw new Error(payload.errors[0].message);
  }
  return payload;
}

// A partner app's OAuth 2.0 authorization request: the signed-in user (session cookie, with
// the CSRF token of its cookie) agrees after a click, and the browser goes back to the app.
const AUTHORIZE = `mutation AuthorizePartnerApp($input: AuthorizePartnerAppInput!) {
  authorizePartnerApp(input: $input) { redirectTo ${ERRORS} } }`;
const AUTHORIZE_FIELDS = {
  client_id: "clientId",
  redirect_uri: "redirectUri",
  scope: "scope",
  state: "state",
  code_challenge: "codeChallenge",
  code_challenge_method: "codeChallengeMethod",
  response_type: "responseType",
};

function cookie(name) {
  const found = document.cookie.split("; ").find((pair) => pair.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function startConsent(params) {
  const input = {};
  for (const [name, field] of Object.entries(AUTHORIZE_FIELDS)) {
    if (params.get(name)) {
      input[field] = params.get(name);
    }
  }
  document.title = "Allow a partner app";
  document.getElementById("title").textContent = "Allow a partner app";
  show(`The app ${input.clientId || "?"} asks to act for you with: ${input.scope || "nothing"}.`);
  document.getElementById("submit").textContent = "Allow";
  const form = document.getElementById("form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(new URL("../graphql", window.location.href), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        "X-CSRF-Token": cookie("mentor_csrf"),
      },
      body: JSON.stringify({ query: AUTHORIZE, variables: { input } }),
    });
    const answer = await response.json();
    const payload = answer.data && answer.data.authorizePartnerApp;
    if (answer.errors && answer.errors.length) {
      show(answer.errors[0].message);
    } else if (payload.errors.length) {
      show(payload.errors[0].message);
    } else {
      window.location.assign(payload.redirectTo);
    }
  });
}

function start() {
  const name = window.location.pathname.split("/").pop();
  const params = new URLSearchParams(window.location.search);
  if (name === "authorize") {
    startConsent(params);
    return;
  }
  if (name === "payouts") {
    document.getElementById("title").textContent = "Payouts";
    show(PAYOUT_MESSAGES[params.has("expired") ? "expired" : "done"]);
    return;
  }
  const page = PAGES[name];
  const token = params.get("token");
  if (!page || !token) {
    show("This link is incomplete: open the whole link from the mail.");
    return;
  }
  // Keep the token out of the address bar and the history once it is read.
  window.history.replaceState(null, "", window.location.pathname);
  document.title = page.title;
  document.getElementById("title").textContent = page.title;
  document.getElementById("submit").textContent = page.button;
  document.getElementById("password-field").hidden = !page.password;
  const form = document.getElementById("form");
  form.hidden = false;
  show("");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { token };
    if (page.password) {
      input.newPassword = document.getElementById("password").value;
    }
    try {
      show(page.done(await send(page, input)));
      form.hidden = true;
    } catch (error) {
      show(error.message);
    }
  });
}

start();
