#!/usr/bin/env bash
# Staging deployment entry point of the plate platform.
#
# Deployments are GitOps: this script validates the charts, then applies the staging
# Argo CD Applications (environments/argocd/apps/*-stg.yaml); Argo CD renders the charts from
# the main branch and keeps namespace plate-stg in step with Git.
#
# Usage: scripts/deploy-stg.sh [deploy|status|delete|bootstrap]
#   deploy     validate the charts and apply the staging Applications (default)
#   status     show the staging Applications and what they deployed
#   delete     delete the staging Applications together with their resources
#   bootstrap  apply the app-of-apps (cocdev-platform-apps), which then manages every
#              Application of the platform, staging and production alike
#
# Environment:
#   DRY_RUN=true         validate and send everything with --dry-run=server, change nothing
#   WAIT_TIMEOUT=300s    how long to wait for the Applications to become healthy
#   ARGOCD_NAMESPACE     namespace of Argo CD (default: argocd)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly ENV_SHORT="stg"
readonly NAMESPACE="plate-stg"
readonly ARGOCD_NAMESPACE="${ARGOCD_NAMESPACE:-argocd}"
readonly APPS_DIR="${REPO_ROOT}/environments/argocd/apps"
readonly APP_OF_APPS="${REPO_ROOT}/environments/argocd/app-of-apps.yaml"
readonly COMMON_VALUES="${REPO_ROOT}/environments/shared/common-values.yaml"
readonly DRY_RUN="${DRY_RUN:-false}"
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-300s}"

# In sync-wave order: plate-cache, plate-api, plate-llm, plate-web, then the shared Ingress.
readonly APPS=(plate-cache plate-api plate-llm plate-web ingress)

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

wait_for_apps() {
  [[ "${DRY_RUN}" == "true" ]] && return 0
  log "Waiting up to ${WAIT_TIMEOUT} for each Application to become healthy"
  local app
  for app in "${APPS[@]}"; do
    if ! kubectl wait "application/${app}-${ENV_SHORT}" -n "${ARGOCD_NAMESPACE}" \
      --for=jsonpath='{.status.health.status}'=Healthy --timeout="${WAIT_TIMEOUT}"; then
      warn "${app}-${ENV_SHORT} is not healthy yet (argocd app get ${app}-${ENV_SHORT})"
    fi
  done
}

deploy() {
  preflight
  validate_charts optional
  log "Applying the staging Applications"
  local app
  for app in "${APPS[@]}"; do
    apply_manifest "${APPS_DIR}/${app}-${ENV_SHORT}.yaml"
  done
  wait_for_apps
  show_status
  show_access_info
}

bootstrap() {
  preflight
  log "Applying the app-of-apps (cocdev-platform-apps)"
  apply_manifest "${APP_OF_APPS}"
}

show_status() {
  log "Argo CD Applications (environment=staging)"
  kubectl get applications -n "${ARGOCD_NAMESPACE}" -l environment=staging
  log "Workloads in ${NAMESPACE}"
  kubectl get pods -n "${NAMESPACE}" -o wide || true
  kubectl get svc -n "${NAMESPACE}" || true
  kubectl get ingress -n "${NAMESPACE}" || true
  kubectl get pvc -n "${NAMESPACE}" || true
}

show_access_info() {
  cat <<INFO

Staging endpoints:
  Web application:  https://stg.cocdev.co.kr
  Admin interface:  https://admin.stg.cocdev.co.kr
  LLM service:      https://llm.cocdev.co.kr
INFO
}

delete_apps() {
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed"
  if kubectl get application cocdev-platform-apps -n "${ARGOCD_NAMESPACE}" >/dev/null 2>&1; then
    warn "cocdev-platform-apps is installed and will recreate the staging Applications;"
    warn "remove their files from environments/argocd/apps in Git to delete them for good."
  fi
  local i app
  # Reverse sync-wave order: the Ingress first, the build cache last.
  for ((i = ${#APPS[@]} - 1; i >= 0; i--)); do
    app="${APPS[i]}-${ENV_SHORT}"
    kubectl get application "${app}" -n "${ARGOCD_NAMESPACE}" >/dev/null 2>&1 || continue
    if [[ "${DRY_RUN}" == "true" ]]; then
      log "would delete ${app} and its resources"
      continue
    fi
    log "Deleting ${app} and its resources"
    # The finalizer makes Argo CD delete what the Application deployed before it goes away.
    kubectl patch application "${app}" -n "${ARGOCD_NAMESPACE}" --type merge \
      -p '{"metadata":{"finalizers":["resources-finalizer.argocd.argoproj.io"]}}'
    kubectl delete application "${app}" -n "${ARGOCD_NAMESPACE}" --wait=true
  done
}

main() {
  local command="${1:-deploy}"
  case "${command}" in
    deploy) deploy ;;
    status) show_status; show_access_info ;;
    delete) delete_apps ;;
    bootstrap) bootstrap ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
