"""Model and prompt pins: versions read from Git, proposals reviewed by people,
rollouts that follow a plan, and the required status `controlplane/pin-review`."""
