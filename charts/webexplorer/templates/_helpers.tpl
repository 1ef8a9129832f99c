{{/* The labels k8s/base's objects carry (its kustomization adds part-of to every object of the base). */}}
{{- define "webexplorer.baseLabels" -}}
app.kubernetes.io/name: webexplorer
app.kubernetes.io/part-of: webexplorer
{{- end }}

{{/* The labels of the objects an overlay adds (kustomize labels only the base's). */}}
{{- define "webexplorer.overlayLabels" -}}
app.kubernetes.io/name: webexplorer
{{- end }}

{{- define "webexplorer.image" -}}
{{ .repository }}:{{ .tag }}
{{- end }}

{{/* The port visitors and probes reach: the auth proxy's with per-user, else the explorer's. */}}
{{- define "webexplorer.port" -}}
{{ if .Values.perUser.enabled }}proxy{{ else }}http{{ end }}
{{- end }}

{{- define "webexplorer.restrictedContainer" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "webexplorer.sidecarResources" -}}
requests:
  cpu: 20m
  memory: 32Mi
limits:
  cpu: 500m
  memory: 128Mi
{{- end }}
