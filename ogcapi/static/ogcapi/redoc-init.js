/* ReDoc for the OGC API's OpenAPI document (ogcapi/templates/openapi/redoc.html), served from
   this platform. Its default palette fails WCAG AA contrast on several labels: the theme darkens them.
   Search is off: it runs in a blob: worker, which the Content Security Policy refuses. */
(function () {
  var element = document.getElementById("redoc");
  Redoc.init(element.getAttribute("data-spec-url"), {
    disableSearch: true,
    theme: {
      colors: {
        primary: {main: "#1f5fad"},
        text: {primary: "#1f2327", secondary: "#4a4f54"},
        http: {get: "#1b5fae", post: "#137a4b", put: "#8a4f00", options: "#0d5e8f", patch: "#0b6b57",
               delete: "#b3261e", basic: "#4b5263", link: "#0b6b57", head: "#6b3fa0"},
        // Response tabs: unselected on the dark right panel (color), selected on white (tabTextColor).
        responses: {
          success: {color: "#7ee2a8", backgroundColor: "#0e3b24", tabTextColor: "#0e5e36"},
          error: {color: "#ff9c94", backgroundColor: "#5c1410", tabTextColor: "#a3221b"},
          redirect: {color: "#ffc36e", backgroundColor: "#4a2c00", tabTextColor: "#7a4600"},
          info: {color: "#9cc7ff", backgroundColor: "#0f355f", tabTextColor: "#1b5fae"}
        }
      },
      typography: {links: {color: "#1f5fad", visited: "#1f5fad", hover: "#163f73"}},
      sidebar: {textColor: "#1f2327", activeTextColor: "#1f5fad"},
      rightPanel: {textColor: "#ffffff"}
    }
  }, element);
})();
