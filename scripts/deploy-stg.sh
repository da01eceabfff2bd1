#!/usr/bin/env bash
# Staging deployment entry point of the plate platform.
#
# Deployments are GitOps: this script checks the staging Applications with platecheck, then
# applies them (environments/argocd/apps/*-stg.yaml) in dependency order: plate-cache,
# plate-api, plate-llm, plate-web, ingress. Argo CD renders the charts from the main branch
# and keeps namespace plate-stg in step with Git.
#
# Usage: scripts/deploy-stg.sh [deploy|status|delete|bootstrap|--help]
#   deploy       platecheck, apply the staging Applications, wait, show the status (default)
#   status       show the staging Applications and what they deployed
#   delete       delete the staging Applications together with their resources
#   bootstrap    apply the app-of-apps (cocdev-platform-apps), which then manages every
#                Application of the platform, staging and production alike
#   -h, --help   this text
#
# Environment:
#   DRY_RUN=true         change nothing: send the Applications with --dry-run=server and
#                        print the deletions instead of running them
#   WAIT_TIMEOUT=300s    how long to wait for the Applications to become healthy
#   ARGOCD_NAMESPACE     namespace of Argo CD (default: argocd)
#   PLATECHECK           the platecheck command of the gate (default: platecheck on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly ENV_SHORT="stg"
readonly NAMESPACE="plate-stg"
readonly ARGOCD_NAMESPACE="${ARGOCD_NAMESPACE:-argocd}"
readonly APP_OF_APPS="${REPO_ROOT}/environments/argocd/app-of-apps.yaml"
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-300s}"
readonly NEEDS_ARGOCD=true

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

read -r -a APPS <<<"$(env_apps "${ENV_SHORT}")"
readonly APPS

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
  preflight kubectl
  platecheck_gate "${ENV_SHORT}"
  log "Applying the staging Applications: ${APPS[*]}"
  apply_applications "${ENV_SHORT}" "${APPS[@]}"
  wait_for_apps
  show_status
  show_access_info
}

bootstrap() {
  preflight kubectl
  log "Applying the app-of-apps (cocdev-platform-apps)"
  if [[ "${DRY_RUN}" == "true" ]]; then
    kubectl apply --dry-run=server -f "${APP_OF_APPS}"
  else
    kubectl apply -f "${APP_OF_APPS}"
  fi
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
  preflight kubectl
  if kubectl get application cocdev-platform-apps -n "${ARGOCD_NAMESPACE}" >/dev/null 2>&1; then
    warn "cocdev-platform-apps is installed and will recreate the staging Applications;"
    warn "remove their files from environments/argocd/apps in Git to delete them for good."
  fi
  local i app
  # Reverse sync-wave order: the Ingress first, the build cache last.
  for ((i = ${#APPS[@]} - 1; i >= 0; i--)); do
    app="${APPS[i]}-${ENV_SHORT}"
    kubectl get application "${app}" -n "${ARGOCD_NAMESPACE}" >/dev/null 2>&1 || continue
    log "Deleting ${app} and its resources"
    # The finalizer makes Argo CD delete what the Application deployed before it goes away.
    mutate kubectl patch application "${app}" -n "${ARGOCD_NAMESPACE}" --type merge \
      -p '{"metadata":{"finalizers":["resources-finalizer.argocd.argoproj.io"]}}'
    mutate kubectl delete application "${app}" -n "${ARGOCD_NAMESPACE}" --wait=true
  done
}

main() {
  local command="${1:-deploy}"
  (($# <= 1)) || usage_error "too many arguments"
  case "${command}" in
    deploy) deploy ;;
    status) preflight kubectl; show_status; show_access_info ;;
    delete) delete_apps ;;
    bootstrap) bootstrap ;;
    -h | --help | help) usage ;;
    *) usage_error "unknown command '${command}'" ;;
  esac
}

main "$@"
