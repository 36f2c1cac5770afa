pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

// Gradle project names cannot hold every character an app name can; the name people see is
// app_name in app/src/main/res/values/strings.xml.
rootProject.name = {{ type_name | kotlin }}
include(":app")
