from core.roles import Role


def navigation(request):
    from xuchang_skills.navigation import items_for

    user = getattr(request, "user", None)
    if user is None:
        return {}
    role_labels = (
        [Role(name).label for name in sorted(user.role_names) if name in Role.values]
        if user.is_authenticated
        else []
    )
    return {"nav_items": items_for(user), "role_labels": role_labels}
