/** The starter .gitops-deploy.yaml written by "Create Configuration": the seed layout, commented. */
export const STARTER_CONFIG = `# GitOps Deploy configuration. Every key is optional; these are the defaults.
# Environments in promotion order: each one's upstream is the one before it.
environments:
  - name: dev
    valuesFile: helm/environments/dev-env/image-tags.yaml
    recordsDir: docs/deployments/dev
  - name: stag
    valuesFile: helm/environments/stag-env/image-tags.yaml
    recordsDir: docs/deployments/stag
  - name: prod
    valuesFile: helm/environments/prod-env/image-tags.yaml
    recordsDir: docs/deployments/prod
    requireReason: true
    requireUpstreamRecord: true
    window:
      timeZone: America/New_York
      blocked:
        - { days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }
      freezes: []

# Where a service's tag lives in a values file: auto, or a path such as "{service}.image.tag".
tagPath: auto

signing:
  mode: verify          # verify | exists | off
  publicKeys: [cosign.pub]

verification:
  errorRateThreshold: 0.01
  syncTimeoutSeconds: 300
`;
