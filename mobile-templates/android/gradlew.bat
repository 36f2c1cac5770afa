@rem Gradle wrapper bootstrap written by Deploy Studio (not Gradle's own script).
@rem The wrapper jar is not bundled: the first run creates the official wrapper with an
@rem installed Gradle {{ gradle_version }}, then hands over to it.
@echo off
set DIR=%~dp0
set JAR=%DIR%gradle\wrapper\gradle-wrapper.jar
if exist "%JAR%" goto run
where gradle >nul 2>nul
if errorlevel 1 (
  echo gradle\wrapper\gradle-wrapper.jar is missing. Open the project in Android Studio, or install
  echo Gradle {{ gradle_version }} and run: gradle wrapper --gradle-version {{ gradle_version }}
  exit /b 1
)
pushd "%DIR%"
call gradle wrapper --gradle-version {{ gradle_version }}
popd
call "%DIR%gradlew.bat" %*
exit /b %ERRORLEVEL%
:run
java -classpath "%JAR%" org.gradle.wrapper.GradleWrapperMain %*
