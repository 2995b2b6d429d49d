import { PermissionError } from '#domain/errors';
import { canUseWorkspace, type Principal } from '#domain/principal';

/** 403 unless the caller's key belongs to `org`. */
export const assertOrgAccess = (principal: Principal, org: string): void => {
  if (principal.org !== org) throw new PermissionError(`This API key is not valid for org '${org}'`);
};

/** 403 unless the caller's key may use `org/workspace`. Reveals nothing about what exists there. */
export const assertWorkspaceAccess = (principal: Principal, org: string, workspace: string): void => {
  assertOrgAccess(principal, org);
  if (!canUseWorkspace(principal, org, workspace)) {
    throw new PermissionError(`This API key is not valid for workspace '${workspace}'`);
  }
};
