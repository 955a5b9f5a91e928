"""Pages of the emergency work."""

urlpatterns = []
