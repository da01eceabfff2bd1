#!/usr/bin/env bash
# Production deployment entry point of the plate platform.
#
# Deployments are GitOps: this script checks the production Applications with platecheck,
# checks the kubectl context, asks for confirmation, backs up the current state, then applies
# the production Argo CD Applications (environments/argocd/apps/*-prod.yaml) in dependency
# order: plate-cache, plate-api, plate-web, ingress; and verifies the rollout in namespace
# plate-prod.
#
# Usage: scripts/deploy-prod.sh [deploy|status|rollback [HISTORY_ID]|--help]
#   deploy               platecheck, check the context, confirm, back up, apply the production
#                        Applications, verify (default)
#   status               show the production Applications and what they deployed
#   rollback             list the deployment history of the production Applications
#   rollback HISTORY_ID  print the Git commands that return production to that deployment
#   delete               refused: production is deleted by hand only
#   -h, --help           this text
#
# Confirmation: deploy asks for "yes" on a terminal, and once more when the kubectl context
# name contains neither "prod" nor "production". Without a terminal it refuses unless
# CONFIRM_PRODUCTION=yes.
#
# Environment:
#   DRY_RUN=true           change nothing: no confirmation, no backup, the Applications are sent
#                          with --dry-run=server
#   CONFIRM_PRODUCTION=yes answer the confirmations in advance (unattended runs)
#   SKIP_BACKUP=true       do not write a backup before deploying
#   BACKUP_DIR             where backups go (default: backups/ in the repository), one
#                          prod-<timestamp>/ directory each
#   WAIT_TIMEOUT=600s      how long to wait for the Applications to become healthy
#   ARGOCD_NAMESPACE       namespace of Argo CD (default: argocd)
#   PLATECHECK             the platecheck command of the gate (default: platecheck on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly ENV_SHORT="prod"
readonly NAMESPACE="plate-prod"
readonly ARGOCD_NAMESPACE="${ARGOCD_NAMESPACE:-argocd}"
readonly BACKUP_DIR="${BACKUP_DIR:-${REPO_ROOT}/backups}"
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"
readonly NEEDS_ARGOCD=true

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

SKIP_BACKUP="$(bool_var SKIP_BACKUP)"
read -r -a APPS <<<"$(env_apps "${ENV_SHORT}")"
readonly SKIP_BACKUP APPS

confirm_production_deploy() {
  if [[ "${DRY_RUN}" == "true" ]]; then
    log "Dry run: no confirmation needed, nothing will change"
    return 0
  fi
  check_production_context
  cat <<WARNING

  You are about to deploy to PRODUCTION (namespace ${NAMESPACE}).
  Argo CD will sync the main branch to the live services.

WARNING
  confirm "Type 'yes' to continue: "
}

# The backup is what the cluster runs now: the production Applications (their history names
# the Git revisions to return to) and the resources they deployed.
create_backup() {
  if [[ "${DRY_RUN}" == "true" ]]; then
    log "Dry run: no backup"
    return 0
  fi
  if [[ "${SKIP_BACKUP}" == "true" ]]; then
    warn "SKIP_BACKUP=true: deploying without a backup"
    return 0
  fi
  local dir
  dir="${BACKUP_DIR}/prod-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "${dir}" || die "cannot create the backup directory ${dir} (set BACKUP_DIR, or SKIP_BACKUP=true)"
  log "Backing up the current production state to ${dir}"
  kubectl get applications -n "${ARGOCD_NAMESPACE}" -l environment=production -o yaml \
    >"${dir}/applications.yaml" \
    || die "backup failed: cannot read the production Applications; nothing was deployed"
  kubectl get deployments,services,configmaps,ingresses,persistentvolumeclaims \
    -n "${NAMESPACE}" -o yaml >"${dir}/resources.yaml" \
    || die "backup failed: cannot read the resources of ${NAMESPACE}; nothing was deployed"
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
  preflight kubectl
  platecheck_gate "${ENV_SHORT}"
  confirm_production_deploy
  create_backup
  log "Applying the production Applications: ${APPS[*]}"
  apply_applications "${ENV_SHORT}" "${APPS[@]}"
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
  preflight kubectl
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
  [[ "${history_id}" =~ ^[0-9]+$ ]] || usage_error "HISTORY_ID must be a number, not '${history_id}'"
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
  local most=1
  [[ "${command}" != "rollback" ]] || most=2
  (($# <= most)) || usage_error "too many arguments"
  case "${command}" in
    deploy) deploy ;;
    status) preflight kubectl; show_status; show_access_info ;;
    rollback) rollback "${2:-}" ;;
    delete)
      die "production is not deleted by this script: delete the Applications by hand with kubectl"
      ;;
    -h | --help | help) usage ;;
    *) usage_error "unknown command '${command}'" ;;
  esac
}

main "$@"
