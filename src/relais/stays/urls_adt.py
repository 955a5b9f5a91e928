"""Pages of the ADT feed (pending matches); owned by the ADT work."""

urlpatterns = []
