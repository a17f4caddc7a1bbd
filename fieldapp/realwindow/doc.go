// Package realwindow holds the tests that run the real field-app binary in a real window: the
// GLFW driver under Xvfb, clicked and typed into with xdotool (real X input events), seen through
// the app's automation hook (fieldapp/internal/automation), against the real server on 127.0.0.1.
// Fyne's test driver always has a canvas and never draws; these tests catch what only a real
// window shows (a drop-down that crashes, a form that draws black) and keep the screenshots in
// docs/screenshots/ taken from the real app.
package realwindow
