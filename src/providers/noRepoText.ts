/** What is missing when a command runs in a workspace without a GitOps repository (no vscode import: tests read it). */
export const NO_REPO_MESSAGE =
  'No GitOps repository here: open a folder with helm/environments/*-env/image-tags.yaml or .gitops-deploy.yaml, or run Create Configuration.';
