#!/usr/bin/env bash
# Production deployment entry point of the plate platform.
#
# Deployments are GitOps: this script validates the charts, asks for confirmation, backs up
# the current state, then applies the production Argo CD Applications
# (environments/argocd/apps/*-prod.yaml) and verifies the rollout in namespace plate-prod.
#
# Usage: scripts/deploy-prod.sh [deploy|status|rollback [HISTORY_ID]]
#   deploy               confirm, back up, apply the production Applications, verify (default)
#   status               show the production Applications and what they deployed
#   rollback             list the deployment history of the production Applications
#   rollback HISTORY_ID  print the Git commands that return production to that deployment
#   delete               refused: production is deleted by hand only
#
# Environment:
#   DRY_RUN=true         validate and send everything with --dry-run=server, change nothing
#   SKIP_BACKUP=true     do not write a backup before deploying
#   WAIT_TIMEOUT=600s    how long to wait for the Applications to become healthy
#   ARGOCD_NAMESPACE     namespace of Argo CD (default: argocd)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly ENV_SHORT="prod"
readonly NAMESPACE="plate-prod"
readonly ARGOCD_NAMESPACE="${ARGOCD_NAMESPACE:-argocd}"
readonly APPS_DIR="${REPO_ROOT}/environments/argocd/apps"
readonly COMMON_VALUES="${REPO_ROOT}/environments/shared/common-values.yaml"
readonly BACKUP_ROOT="${REPO_ROOT}/backups"
readonly DRY_RUN="${DRY_RUN:-false}"
readonly SKIP_BACKUP="${SKIP_BACKUP:-false}"
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"

# In sync-wave order: plate-cache, plate-api, plate-web, then the shared Ingress.
# plate-llm runs in staging only.
readonly APPS=(plate-cache plate-api plate-web ingress)

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

check_cluster() {
  local context
  context="$(kubectl config current-context 2>/dev/null || true)"
  log "Current kubectl context: ${context:-<none>}"
  if [[ "${context}" != *prod* ]]; then
    warn "the context name does not contain 'prod' or 'production'"
    confirm "Deploy to this cluster anyway? Type 'yes': "
  fi
}

confirm() {
  local answer=""
  read -r -p "$1" answer || true
  [[ "${answer}" == "yes" ]] || die "cancelled"
}

confirm_production_deploy() {
  [[ "${DRY_RUN}" == "true" ]] && return 0
  cat <<WARNING

  You are about to deploy to PRODUCTION (namespace ${NAMESPACE}).
  Argo CD will sync the main branch to the live services.

WARNING
  confirm "Type 'yes' to continue: "
}

create_backup() {
  if [[ "${SKIP_BACKUP}" == "true" || "${DRY_RUN}" == "true" ]]; then
    log "Skipping the backup"
    return 0
  fi
  local dir
  dir="${BACKUP_ROOT}/prod-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "${dir}"
  log "Backing up the current production state to ${dir}"
  kubectl get applications -n "${ARGOCD_NAMESPACE}" -l environment=production -o yaml \
    > "${dir}/applications.yaml"
  kubectl get deployments,services,configmaps,ingresses,persistentvolumeclaims \
    -n "${NAMESPACE}" -o yaml > "${dir}/resources.yaml" 2>/dev/null || true
}

verify_deployment() {
  [[ "${DRY_RUN}" == "true" ]] && return 0
  log "Waiting up to ${WAIT_TIMEOUT} for each Application to be synced and healthy"
  local app failed=0
  for app in "${APPS[@]}"; do
    kubectl wait "application/${app}-${ENV_SHORT}" -n "${ARGOCD_NAMESPACE}" \
      --for=jsonpath='{.status.sync.status}'=Synced --timeout="${WAIT_TIMEOUT}" || failed=1
    kubectl wait "application/${app}-${ENV_SHORT}" -n "${ARGOCD_NAMESPACE}" \
      --for=jsonpath='{.status.health.status}'=Healthy --timeout="${WAIT_TIMEOUT}" || failed=1
  done
  local deployment
  for deployment in $(kubectl get deployments -n "${NAMESPACE}" -o name); do
    kubectl rollout status "${deployment}" -n "${NAMESPACE}" --timeout="${WAIT_TIMEOUT}" \
      || failed=1
  done
  if ((failed)); then
    die "production is not healthy: see 'scripts/deploy-prod.sh status' and 'rollback'"
  fi
  log "Production is synced and healthy"
}

deploy() {
  preflight
  validate_charts required
  check_cluster
  confirm_production_deploy
  create_backup
  log "Applying the production Applications"
  local app
  for app in "${APPS[@]}"; do
    apply_manifest "${APPS_DIR}/${app}-${ENV_SHORT}.yaml"
  done
  verify_deployment
  show_status
  show_access_info
}

show_status() {
  log "Argo CD Applications (environment=production)"
  kubectl get applications -n "${ARGOCD_NAMESPACE}" -l environment=production
  log "Workloads in ${NAMESPACE}"
  kubectl get pods -n "${NAMESPACE}" -o wide || true
  kubectl get svc -n "${NAMESPACE}" || true
  kubectl get ingress -n "${NAMESPACE}" || true
  kubectl get pvc -n "${NAMESPACE}" || true
  kubectl get hpa -n "${NAMESPACE}" 2>/dev/null || true
}

show_access_info() {
  cat <<INFO

Production endpoints:
  Web application:  https://cocdev.co.kr
                    https://www.cocdev.co.kr
INFO
}

# Git is the source of truth and the Applications self-heal, so a rollback is a Git change:
# changing the cluster directly would be undone by the next sync.
rollback() {
  command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed"
  local history_id="${1:-}" app
  if [[ -z "${history_id}" ]]; then
    for app in "${APPS[@]}"; do
      log "Deployment history of ${app}-${ENV_SHORT} (id, revision, deployed at)"
      kubectl get application "${app}-${ENV_SHORT}" -n "${ARGOCD_NAMESPACE}" -o \
        jsonpath='{range .status.history[*]}{.id}{"\t"}{.revision}{"\t"}{.deployedAt}{"\n"}{end}'
    done
    log "Run 'scripts/deploy-prod.sh rollback HISTORY_ID' for the commands to return to one."
    return 0
  fi
  [[ "${history_id}" =~ ^[0-9]+$ ]] || die "HISTORY_ID must be a number"
  local revision
  revision="$(kubectl get application "plate-web-${ENV_SHORT}" -n "${ARGOCD_NAMESPACE}" -o \
    jsonpath="{.status.history[?(@.id==${history_id})].revision}")"
  [[ -n "${revision}" ]] || die "no deployment with id ${history_id} in the history of plate-web-${ENV_SHORT}"
  cat <<STEPS

To return production to deployment ${history_id} (revision ${revision}), revert the commits
made since then on main and push; Argo CD syncs the result:

  git fetch origin main && git switch main && git pull --ff-only
  git revert --no-edit ${revision}..HEAD
  git push origin main

Then run: scripts/deploy-prod.sh status
STEPS
}

main() {
  local command="${1:-deploy}"
  case "${command}" in
    deploy) deploy ;;
    status) show_status; show_access_info ;;
    rollback) rollback "${2:-}" ;;
    delete)
      die "production is not deleted by this script: delete the Applications by hand with kubectl"
      ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
