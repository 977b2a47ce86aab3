from oauth2_provider.oauth2_validators import OAuth2Validator

from .tokens import user_roles


class PlatformValidator(OAuth2Validator):
    """ID tokens and userinfo carry the user's name and roles too."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "roles": "profile", "preferred_username": "profile"}

    def get_additional_claims(self, request):
        return {"preferred_username": request.user.get_username(), "roles": user_roles(request.user)}
