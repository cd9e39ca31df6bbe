app_name = "absences"
urlpatterns = []
