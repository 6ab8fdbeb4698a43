// A page that throws while rendering (or whose code fails to load) shows an error, not a blank app.
import { Component, type ReactNode } from "react";
import { ErrorBox } from "./Status.tsx";

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: unknown }> {
  override state: { error: unknown } = { error: undefined };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidUpdate(previous: { resetKey: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error !== undefined) this.setState({ error: undefined });
  }

  override render() {
    return this.state.error !== undefined ? <ErrorBox error={this.state.error} action="Showing this page" /> : this.props.children;
  }
}
