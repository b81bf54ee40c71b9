// mentor-api's GraphiQL, loaded from this server only (the page's CSP allows no inline script).
//
// The page's requests carry the session cookie. A mutation authenticated by that cookie must
// also send the CSRF header, holding the value of the CSRF cookie: both names come from the
// page (app/sessions.py). The cookie appears only after logIn, so it is read at every request.
"use strict";

(function () {
  const root = document.getElementById("graphiql");
  const csrfCookie = root.dataset.csrfCookie;
  const csrfHeader = root.dataset.csrfHeader;

  function readCookie(name) {
    for (const pair of document.cookie.split(";")) {
      const [key, ...value] = pair.trim().split("=");
      if (key === name) {
        return decodeURIComponent(value.join("="));
      }
    }
    return null;
  }

  function fetchWithCsrf(url, init) {
    const headers = new Headers(init.headers);
    const token = readCookie(csrfCookie);
    if (token && !headers.has(csrfHeader)) {
      headers.set(csrfHeader, token);
    }
    return window.fetch(url, { ...init, headers, credentials: "same-origin" });
  }

  const url = window.location.origin + window.location.pathname;
  const fetcher = GraphiQL.createFetcher({
    url,
    subscriptionUrl: url.replace(/^http/, "ws"),
    fetch: fetchWithCsrf,
  });

  // ?q=…&variables=… open the page on an operation (a link in the docs, a bug report);
  // ?query=… would be run by the server as a GET query instead of showing this page.
  const parameters = new URLSearchParams(window.location.search);
  const DEFAULT_QUERY = `# mentor-api: Ctrl-Enter runs an operation.
#
# Log in with the logIn mutation: GraphiQL then
# keeps the session cookie and sends X-CSRF-Token
# with every mutation. Or log in with
# session: TOKEN and set the header
#   {"Authorization": "Bearer <token>"}
# More operations: graphql/ in the repository.

query Mentors {
  mentors(first: 5) {
    edges {
      node {
        id
        name
      }
    }
  }
}
`;

  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher,
      plugins: [explorer],
      defaultQuery: DEFAULT_QUERY,
      query: parameters.get("q") || undefined,
      variables: parameters.get("variables") || undefined,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers may hold a bearer token: they are not kept in localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
