// Pending requests and the local policy live on the hospital's edge node, which opens no inbound
// port: the server cannot list or decide them, so this page says where to do it instead of
// showing a list it does not have.
export default function ApprovalsPage() {
  return (
    <section aria-labelledby="appr-title">
      <h1 id="appr-title">Pending requests and local policy</h1>
      <div className="status unavailable" role="status">
        <strong>Decided on your edge node.</strong> Requests that your policy holds for approval wait on the
        node itself (it dials out to the server and accepts no connection), so the server has no list of them.
      </div>
      <div className="card">
        <h2>On the edge node</h2>
        <dl className="facts">
          <dt>List pending requests</dt><dd><code>medtrace node approvals</code></dd>
          <dt>Approve one</dt><dd><code>medtrace node approve REQUEST_ID</code></dd>
          <dt>Refuse one</dt><dd><code>medtrace node deny REQUEST_ID</code></dd>
          <dt>Local policy</dt><dd>the node's configuration file (allowed purposes, maximum instances, approval required)</dd>
        </dl>
      </div>
    </section>
  );
}
